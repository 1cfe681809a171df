"""Background jobs: long work (scoring runs, reindexing, storage verification) with a
progress view. Jobs go to an rq queue on Redis when ``SIKD_REDIS_URL`` is set, and run
inline, in the request or command that submits them, when it is not."""
