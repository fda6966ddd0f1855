"""Streamlit entry script: `streamlit run leaderboard/app.py -- --results DIR [--battle-config FILE]`.

Streamlit runs this file as a script (not as part of the package), hence the absolute import.
"""

import sys

from alpaca_bench.leaderboard._layout import main

main(sys.argv[1:])
