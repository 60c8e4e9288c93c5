"""Jupyter's own kernel conformance suite (Debian's python3-jupyter-kernel-test) against the Valence kernel.

Run by kernel.test.ts with JUPYTER_PATH pointing at a data dir where `valence install` put the spec.
Skipped with reason: the pager (TypeScript has no help pager; inspection answers instead).
"""
import unittest

import jupyter_kernel_test


class ValenceKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "valence"
    language_name = "typescript"
    file_extension = ".ts"

    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("oops")'

    completion_samples = [{"text": "Math.PI.toFix", "matches": {"toFixed"}}]

    complete_code_samples = ["1 + 1", "const x = 1;", "function f() { return 1; }"]
    incomplete_code_samples = ["function f() {", "const a = [1, 2,", "if (true) {\n  console.log(1);"]
    invalid_code_samples = ["1 +* 2", "const = 5;", "let 1x = 2;"]

    code_inspect_sample = "Math.max"

    code_generate_error = 'throw new Error("boom")'

    code_execute_result = [
        {"code": "1 + 2", "result": "3"},
        {"code": '"a" + "b"', "result": "'ab'"},
        {"code": "[1, 2].map((x) => x * 2)", "result": "[ 2, 4 ]"},
    ]

    code_display_data = [
        {"code": 'import { display } from "valence-workflows";\ndisplay({ "text/html": "<b>hi</b>" }, { raw: true })', "mime": "text/html"},
        {
            "code": 'import * as ct from "valence-workflows";\n'
            "const inc = ct.electron((n: number) => n + 1);\n"
            "ct.display(ct.lattice((n: number) => inc(inc(n))).draw(1))",
            "mime": "application/vnd.valence.dag+json",
        },
    ]

    code_history_pattern = "1 +*"
    supported_history_operations = ("tail", "range", "search")

    code_clear_output = 'import { clearOutput } from "valence-workflows";\nclearOutput()'

    def test_pager(self):
        raise unittest.SkipTest("TypeScript has no help pager: inspect_request answers instead (test_inspect)")


if __name__ == "__main__":
    unittest.main(verbosity=2)
