"""Math shared by the locate-then-edit methods (ROME, MEMIT, AlphaEdit, FT-M): hooks, subject location, context
templates, keys, value optimisation, second-moment statistics and low-rank factor layout. Written once here;
method packages import the modules they need.
"""
