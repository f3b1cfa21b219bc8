# rewrite.sed: the two pieces of CUDA syntax that a host C++ compiler cannot
# take, rewritten by the Makefile into build/emu/src/ (kernels/emu/README.md):
#   kernel<<<grid, block, shared, stream>>>(args)  ->  EMU_LAUNCH(kernel, grid, block, shared, stream)(args)
#   __shared__ T name[n];                          ->  EMU_SHARED(T, name, n);
# A launch's <<<...>>> is on one line, as in every kernels/*.cu.
s/([A-Za-z_][A-Za-z0-9_]*(<[^<>;]*>)?)<<<(.*)>>>/EMU_LAUNCH(\1, \3)/g
s/__shared__[[:space:]]+([A-Za-z_][A-Za-z0-9_]*)[[:space:]]+([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*\[([^];]*)\];/EMU_SHARED(\1, \2, \3);/g
