#!/usr/bin/env python3
"""Generate the scikit-learn reference fixtures for @cnn/explain's metrics.

Run from the package root with Debian's python3-sklearn:
    /usr/bin/python3 scripts/make-fixtures.py
Writes src/__fixtures__/classification-report.json. Deterministic (fixed seeds).
"""
import json
import os

import numpy as np
from sklearn.metrics import classification_report, confusion_matrix, top_k_accuracy_score
import sklearn

OUT = os.path.join(os.path.dirname(__file__), "..", "src", "__fixtures__", "classification-report.json")


def case(name, y_true, y_pred, num_classes, class_names=None, zero_division=0):
    labels = list(range(num_classes))
    names = class_names or [f"class{i}" for i in labels]
    report = classification_report(
        y_true, y_pred, labels=labels, target_names=names, output_dict=True, zero_division=zero_division
    )
    return {
        "name": name,
        "yTrue": [int(v) for v in y_true],
        "yPred": [int(v) for v in y_pred],
        "numClasses": num_classes,
        "classNames": names,
        "zeroDivision": zero_division,
        "report": report,
        "confusion": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        "confusionNormalized": confusion_matrix(y_true, y_pred, labels=labels, normalize="true").tolist(),
    }


def topk_case(name, rng, n, num_classes, k):
    scores = rng.random((n, num_classes))  # continuous: no ties
    y_true = rng.integers(0, num_classes, n)
    acc = top_k_accuracy_score(y_true, scores, k=k, labels=list(range(num_classes)))
    return {"name": name, "scores": scores.ravel().tolist(), "yTrue": y_true.tolist(), "numClasses": num_classes,
            "k": k, "accuracy": float(acc)}


def main():
    rng = np.random.default_rng(20241129)
    cases = []
    cases.append(case("three-classes-random", rng.integers(0, 3, 30), rng.integers(0, 3, 30), 3,
                      ["cat", "dog", "bird"]))
    y_true = rng.integers(0, 4, 40)
    y_pred = np.where(y_true == 2, 1, y_true)  # class 2 never predicted
    y_pred[:5] = rng.integers(0, 2, 5)
    cases.append(case("class-absent-from-predictions", y_true, y_pred, 4))
    y_true = rng.choice([0, 1, 3], 40)  # class 2 never in labels
    y_pred = rng.integers(0, 4, 40)
    cases.append(case("class-absent-from-labels", y_true, y_pred, 4))
    y_true = np.array([0, 0, 1, 1, 1, 3, 3, 0])  # class 2 absent from both, class 1 absent from predictions
    y_pred = np.array([0, 3, 0, 0, 3, 3, 0, 0])
    cases.append(case("absent-classes-zero-division-1", y_true, y_pred, 4, zero_division=1))
    cases.append(case("absent-classes-zero-division-0", y_true, y_pred, 4, zero_division=0))
    y_true = rng.integers(0, 10, 200)
    y_pred = np.where(rng.random(200) < 0.7, y_true, rng.integers(0, 10, 200))
    cases.append(case("ten-classes-mostly-right", y_true, y_pred, 10))
    y_true = rng.integers(0, 2, 25)
    cases.append(case("binary-perfect", y_true, y_true.copy(), 2, ["negative", "positive"]))

    topk = [topk_case("top1", rng, 50, 5, 1), topk_case("top2", rng, 50, 5, 2), topk_case("top3-ten", rng, 80, 10, 3)]

    with open(OUT, "w") as f:
        json.dump({"generator": f"scripts/make-fixtures.py, scikit-learn {sklearn.__version__}",
                   "cases": cases, "topK": topk}, f, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} report cases and {len(topk)} top-k cases to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
