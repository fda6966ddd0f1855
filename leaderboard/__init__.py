"""The Streamlit leaderboard over a results folder, and its battle page.

`alpaca-bench leaderboard` (or `streamlit run leaderboard/app.py -- --results DIR`) serves it.
The pages only lay things out: every figure comes from the library (`results_index`,
`explorer`, `judge_analysis`, `battle`), and model outputs are always shown as plain text.
Importing this package does not import streamlit; the page modules do.
"""

from .launch import app_path, serve, streamlit_command
from .settings import AppSettings, app_settings

__all__ = ["AppSettings", "app_path", "app_settings", "serve", "streamlit_command"]
