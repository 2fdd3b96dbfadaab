# /// script
# requires-python = "==3.12.*"
# dependencies = [
#     "marimo",
#     "polars==1.9.0",
#     "httpx",
# ]
# [tool.pixi.workspace]
# channels = ["conda-forge"]
# [tool.pixi.dependencies]
# gdal = ">=3.9"
# ///

import marimo

__generated_with = "0.9.0"
app = marimo.App()


@app.cell
def _():
    import marimo as mo

    return (mo,)


if __name__ == "__main__":
    app.run()
