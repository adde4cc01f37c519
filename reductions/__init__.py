"""reductions: hard combinatorial problems (3-SAT, subset-sum) as ReLU inversion instances,
with solution maps both ways and empirical verification."""
