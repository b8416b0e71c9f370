"""``python -m tillroll``: the same as the ``tillroll`` command."""

from tillroll.cli import main

if __name__ == "__main__":
    main(prog_name="tillroll")
