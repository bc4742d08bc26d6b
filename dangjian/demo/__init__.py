"""The demo data generator: a believable port-and-logistics group, from a few dozen branches to reference scale.

Not a Django app: `dangjian.demo.generator.generate()` writes straight to the current database; the `demo`
management command (dangjian/core/management/commands/demo.py) and the benchmarks (bench/) call it.
"""
