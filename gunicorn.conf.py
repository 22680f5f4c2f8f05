"""gunicorn's settings for Kite, read from the working directory (the project's root) by every way Kite runs it:
`make run`, compose and its image, and `make bench`. Their command lines name the rest."""

# The longest request Kite answers on purpose is a bulk action over "all matching" documents (up to 10,000): about
# 17 s on a quiet 2-core machine (docs/benchmarks.md, section 7). gunicorn's default of 30 s would kill such a
# request on a slower or busier machine, rolling it back; a worker is given four times that before it counts as
# stuck.
timeout = 120
