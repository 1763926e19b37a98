"""Running digitrec for others: the HTTP server and its page, and batch jobs on a process pool or Ray."""
