"""Transports that carry one bus beyond one process. :mod:`eventmatch.transport.redis` needs the
``redis`` package (``pip install 'eventmatch[redis]'``)."""
