"""Work units (a tree) and positions (jabatan) with their reporting lines."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sikd_host.extensions import db


class Unit(db.Model):
    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent", order_by="Unit.code")
    positions: Mapped[list[Position]] = relationship(back_populates="unit")

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"


class Position(db.Model):
    __tablename__ = "position"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    eselon: Mapped[str | None] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(20), default="pelaksana")
    jenjang: Mapped[str | None] = mapped_column(String(20))
    superior_id: Mapped[int | None] = mapped_column(ForeignKey("position.id"), index=True)
    critical: Mapped[bool] = mapped_column(Boolean, default=False)

    unit: Mapped[Unit] = relationship(back_populates="positions")
    superior: Mapped[Position | None] = relationship(remote_side=[id])
    holders: Mapped[list["User"]] = relationship(back_populates="position")  # noqa: UP037, F821

    @property
    def is_structural(self) -> bool:
        return self.kind == "struktural"

    def __repr__(self) -> str:
        return f"<Position {self.code}>"
