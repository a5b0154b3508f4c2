"""libcst codemods that rewrite the FastAPI production mistakes flake8-fastapi-prod reports.

Each codemod is a module ``codemods.<name>`` run as ``python -m codemods.<name> PATH...``;
``python -m codemods`` lists them. The shared command line lives in ``codemods.runner``.
"""
