"""The app's pages, one module per page; `dashboard/app.py` decides who sees which."""
