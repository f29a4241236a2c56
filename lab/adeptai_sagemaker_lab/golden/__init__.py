"""Golden sets: labelled job postings, search queries and resume/job pairs (see README.md here).

Shipped with the package so ``adeptai-sagemaker eval`` needs nothing outside
the installed project; :mod:`adeptai_sagemaker_lab.evaluation` reads them.
"""
