"""Entry point: ``python -m fangpin.manage <command>``."""
import os
import sys

# Polars' allocator (jemalloc, which reads ``_RJEM_MALLOC_CONF``) by default keeps the pages it frees for
# seconds, per thread, and a large import's peaks then hold memory it no longer uses. Freed pages are
# given back at once instead, by a background thread (R-OPS-05, decision 0010).
# jemalloc reads the setting when polars is first loaded, so it is set before
# anything imports polars, in every process that may import: this entry point (commands and the task
# worker) and ``fangpin.wsgi``; child processes inherit it. A value set in the environment wins.
ALLOCATOR_CONF = "background_thread:true,dirty_decay_ms:0,muzzy_decay_ms:0"


def configure_allocator() -> None:
    os.environ.setdefault("_RJEM_MALLOC_CONF", ALLOCATOR_CONF)


configure_allocator()


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangpin.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
