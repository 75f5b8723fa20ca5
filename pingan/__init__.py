"""Pingan (平安): the case platform of a county 综治中心."""
