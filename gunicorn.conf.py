"""gunicorn's settings for the library, read from the working folder (`make run`, and
`gunicorn wsgi:app` started here); elsewhere pass `-c /path/to/gunicorn.conf.py`. Options on
the command line win over these.

gunicorn reads a request's head and body inside the worker, and has no deadline for either: a
client that sends one header line every few seconds, or its body a few bytes at a time, holds a
thread for as long as it keeps trickling. Put a buffering proxy in front (README, "Behind
nginx"); these settings bound the damage where it does not stand:
- gthread workers: a connection that has sent nothing, or idles between keep-alive requests,
  waits in the worker's poller and holds no thread (gunicorn 27 hands a silent new connection
  back after 5 s), so only clients that actually trickle hold one; and threads are cheap, so
  there are many.
- short keep-alive, and small limits on the request line and headers.
"""

worker_class = "gthread"
threads = 8
keepalive = 5  # seconds an idle kept-alive connection stays open (in the poller, not a thread)
timeout = 60  # a worker whose main loop stops for this long is restarted
graceful_timeout = 30
limit_request_line = 4094  # bytes of "GET /path?query HTTP/1.1"
limit_request_fields = 50  # headers per request
limit_request_field_size = 8190  # bytes per header
