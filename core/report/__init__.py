"""Programme health and evaluation without a word of circle content: figures counted by the
database (`figures`), the privacy rules every output passes through (`privacy`), charts, the CSV,
the summary and the `report`/`evaluate` commands."""
