"""`python -m bot …` runs the command-line interface."""

# Guarded, and imported only when run: the chart process (bot.charts, started with "spawn")
# imports this module as its main module, and must neither start a second bot nor load the
# bot's whole code (~60 MB) just to draw.
if __name__ == "__main__":
    from bot.cli import main

    raise SystemExit(main())
