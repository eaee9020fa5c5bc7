"""Mutation testing of the reference roles' decision code (`mcsec mutate`, docs/mutation.md).

`operators` makes the mutants of a source file (stdlib `ast`, the operators of mutmut and cosmic-ray that
fit decision code), `targets` names the default files and the role each is served as, `tree` builds the
package tree in which one file is mutated (served first on PYTHONPATH), `equivalents` reads the reviewed
list of equivalent mutants, `campaign` serves each mutant as the implementation under test and judges it
with the unchanged suite.
"""
