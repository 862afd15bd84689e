#!/usr/bin/env python3
"""Reads versatune_dag.py with `ast` (no Airflow needed) and prints its tasks as JSON, in dependency order:
[{"task_id", "operator", "java_class", "args"}]. Used by the tests to check every task against the real CLI."""
import ast
import json
import sys

PLACEHOLDERS = {"DATA": "/data", "RUN": "/runs/r1", "RUNS": "/runs", "CONF": "/opt/cluster.conf",
                "CONF_NAME": "cluster.conf", "JAR": "/opt/versatune.jar"}


def value(node):
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name) and node.id in PLACEHOLDERS:
        return PLACEHOLDERS[node.id]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return value(node.left) + value(node.right)
    raise ValueError("unsupported expression at line %d: %s" % (node.lineno, ast.dump(node)))


def main(path):
    tree = ast.parse(open(path, encoding="utf-8").read(), path)
    operator, java_class, tasks, order = None, None, {}, []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "stage":
            for call in ast.walk(node):
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id.endswith("Operator"):
                    operator = call.func.id
                    for kw in call.keywords:
                        if kw.arg == "java_class":
                            java_class = value(kw.value)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and getattr(node.value.func, "id", "") == "stage":
            args = [value(a) for a in node.value.args]
            tasks[node.targets[0].id] = {"task_id": args[0], "args": args[1:] + ["--conf", PLACEHOLDERS["CONF_NAME"]]}
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.BinOp) and isinstance(node.value.op, ast.RShift):
            chain, n = [], node.value
            while isinstance(n, ast.BinOp):
                chain.insert(0, n.right.id)
                n = n.left
            chain.insert(0, n.id)
            order = chain
    out = []
    for name in order:
        t = dict(tasks[name])
        t["operator"], t["java_class"] = operator, java_class
        out.append(t)
    if len(out) != len(tasks):
        raise ValueError("tasks not in the dependency chain: %s" % sorted(set(tasks) - set(order)))
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "jobs/airflow/versatune_dag.py")
