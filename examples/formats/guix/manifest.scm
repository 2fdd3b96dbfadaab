;; The packages of the analysis notebook: guix shell -m manifest.scm -- jupyter lab
(specifications->manifest
 (list "python"
       "python-numpy"
       "python-pandas"
       "python-matplotlib"
       "python-scikit-learn"
       ;; the notebook's kernel and JupyterLab
       "python-ipykernel"
       "python-jupyterlab"))
