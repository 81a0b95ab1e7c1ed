"""How a number is written on a picture or in a readout (lessons 1 to 6).

One formatter for the graph pictures (:mod:`bpcourse.drawing`), the operation symbols
(:mod:`bpcourse.ops`, "×(−1)") and the explorers' readouts. No matplotlib here, so the
graph engine can use it and ``import bpcourse.graph`` stays fast.
"""

import numpy as np


def format_value(value, fmt=None):
    """Text for a number on a picture: 220.00000000000003 -> "220", 0.2350037 -> "0.235".

    Lessons 1 to 5, wherever a graph shows numbers, and the explorers' readouts.
    ``fmt`` is None (4 significant digits, no float noise), a format spec such as ".2f",
    or a callable value -> str. Arrays of up to 4 numbers are listed, larger ones give their
    shape. Negative numbers use a true minus sign (−), which reads better on a projector.
    """
    if callable(fmt):
        return fmt(value)
    if value is None:  # not computed yet
        return "?"
    if np.ndim(value) > 0:
        arr = np.asarray(value)
        if arr.size > 4:
            return f"shape {arr.shape}"
        return "[" + ", ".join(format_value(v, fmt) for v in arr.ravel()) + "]"
    if fmt:
        text = format(value, fmt)
        if text.startswith("-") and set(text[1:]) <= set("0.e+"):
            # "-0" or "-0.00" (IEEE's -0.0, as ReLU's backward gives for a negative dout,
            # or a small negative rounded away) reads as a sign error
            text = text[1:]
    elif float(value) == 0:
        text = "0"
    elif 1e-4 <= abs(float(value)) < 1e6:
        text = np.format_float_positional(float(value), precision=4, fractional=False, trim="-")
    else:
        text = f"{float(value):.3e}"
    return text.replace("-", "−")


def format_yen(value):
    """A number of lesson 3's shopping bill, exactly: 6356.8, where 4 digits would say 6357.

    Prices and counts are whole numbers and the tax has two decimals, so every value and
    gradient of the bill has at most two; rounding to two removes only float noise
    (1326.8000000000002). Lesson 3's explorer.
    """
    return np.format_float_positional(round(float(value), 2), trim="-").replace("-", "−")


def format_exponent(value, digits=1):
    """``value`` in scientific notation as the sliders write it: 6.3e-9, not 6.3e-09.

    Lesson 2's step slider has its readout written by the browser (d3's ".1e"), which
    gives the exponent no leading zero; the plot and the table beside it use this, so all
    three show h alike.
    """
    text = f"{value:.{digits}e}"
    if "e" not in text:  # nan and inf have no exponent to shorten
        return text
    mantissa, exponent = text.split("e")
    return f"{mantissa}e{int(exponent):+d}"
