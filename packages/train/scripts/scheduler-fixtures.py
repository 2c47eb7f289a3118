#!/usr/bin/env python3
"""Generates src/__fixtures__/schedulers-torch.json: learning-rate sequences of torch.optim.lr_scheduler.

Run from packages/train with Debian's torch 1.13:  /usr/bin/python3 scripts/scheduler-fixtures.py

Each case records `lrs[t]` = the learning rate after t calls of `scheduler.step()` (t = 0 is the value
right after construction), i.e. what the optimizer uses for epoch/batch t. ReduceLROnPlateau cases also
record the metric fed to each step.
"""
import json
import math
import os

import torch
from torch.optim import SGD
from torch.optim import lr_scheduler as S


def make_opt(lr):
    p = torch.nn.Parameter(torch.zeros(1))
    return SGD([p], lr=lr, momentum=0.9)


def seq(make, base_lr, steps, metrics=None):
    opt = make_opt(base_lr)
    sched = make(opt)
    lrs = [opt.param_groups[0]['lr']]
    for t in range(steps):
        opt.step()
        if metrics is not None:
            sched.step(metrics[t])
        else:
            sched.step()
        lrs.append(opt.param_groups[0]['lr'])
    return lrs


cases = []


def add(name, kind, options, base_lr, steps, make, metrics=None):
    cases.append({
        'name': name, 'scheduler': kind, 'options': options, 'baseLr': base_lr, 'steps': steps,
        **({'metrics': metrics} if metrics is not None else {}),
        'lrs': seq(make, base_lr, steps, metrics),
    })


add('step-a', 'StepLR', {'stepSize': 3, 'gamma': 0.1}, 0.1, 12, lambda o: S.StepLR(o, step_size=3, gamma=0.1))
add('step-b', 'StepLR', {'stepSize': 1, 'gamma': 0.7}, 0.05, 10, lambda o: S.StepLR(o, step_size=1, gamma=0.7))
add('multistep-a', 'MultiStepLR', {'milestones': [2, 5, 9], 'gamma': 0.1}, 0.1, 12,
    lambda o: S.MultiStepLR(o, milestones=[2, 5, 9], gamma=0.1))
add('multistep-b', 'MultiStepLR', {'milestones': [30, 80], 'gamma': 0.5}, 1.0, 100,
    lambda o: S.MultiStepLR(o, milestones=[30, 80], gamma=0.5))
add('exponential-a', 'ExponentialLR', {'gamma': 0.9}, 0.1, 30, lambda o: S.ExponentialLR(o, gamma=0.9))
add('exponential-b', 'ExponentialLR', {'gamma': 0.995}, 3e-4, 200, lambda o: S.ExponentialLR(o, gamma=0.995))
add('cosine-a', 'CosineAnnealingLR', {'tMax': 10, 'etaMin': 0}, 0.1, 25,
    lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=0))
add('cosine-b', 'CosineAnnealingLR', {'tMax': 7, 'etaMin': 1e-4}, 0.05, 30,
    lambda o: S.CosineAnnealingLR(o, T_max=7, eta_min=1e-4))
add('warm-restarts-a', 'CosineAnnealingWarmRestarts', {'t0': 5, 'tMult': 1, 'etaMin': 0}, 0.1, 20,
    lambda o: S.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=1, eta_min=0))
add('warm-restarts-b', 'CosineAnnealingWarmRestarts', {'t0': 3, 'tMult': 2, 'etaMin': 1e-3}, 0.1, 40,
    lambda o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=1e-3))
add('onecycle-cos', 'OneCycleLR', {'maxLr': 0.1, 'totalSteps': 50}, 0.01, 49,
    lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=50))
add('onecycle-linear', 'OneCycleLR',
    {'maxLr': 1.0, 'totalSteps': 37, 'pctStart': 0.25, 'annealStrategy': 'linear', 'divFactor': 10, 'finalDivFactor': 100},
    0.01, 36,
    lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=37, pct_start=0.25, anneal_strategy='linear', div_factor=10,
                           final_div_factor=100))
add('onecycle-three-phase', 'OneCycleLR', {'maxLr': 0.5, 'epochs': 4, 'stepsPerEpoch': 10, 'threePhase': True}, 0.01, 39,
    lambda o: S.OneCycleLR(o, max_lr=0.5, epochs=4, steps_per_epoch=10, three_phase=True))
add('linear-a', 'LinearLR', {'startFactor': 0.1, 'endFactor': 1.0, 'totalIters': 5}, 0.1, 10,
    lambda o: S.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=5))
add('linear-b', 'LinearLR', {'startFactor': 1.0, 'endFactor': 0.25, 'totalIters': 8}, 0.2, 12,
    lambda o: S.LinearLR(o, start_factor=1.0, end_factor=0.25, total_iters=8))

# LinearWarmup(inner): torch's ChainedScheduler([LinearLR(start_factor, 1, warmupSteps), inner]).
add('warmup-multistep', 'LinearWarmup',
    {'warmupSteps': 4, 'startFactor': 0.01, 'inner': {'scheduler': 'MultiStepLR', 'options': {'milestones': [6, 9], 'gamma': 0.1}}},
    0.1, 12,
    lambda o: S.ChainedScheduler([S.LinearLR(o, start_factor=0.01, end_factor=1.0, total_iters=4),
                                  S.MultiStepLR(o, milestones=[6, 9], gamma=0.1)]))
add('warmup-exponential', 'LinearWarmup',
    {'warmupSteps': 5, 'startFactor': 0.2, 'inner': {'scheduler': 'ExponentialLR', 'options': {'gamma': 0.9}}},
    0.05, 15,
    lambda o: S.ChainedScheduler([S.LinearLR(o, start_factor=0.2, end_factor=1.0, total_iters=5),
                                  S.ExponentialLR(o, gamma=0.9)]))

# SequentialLR: children built on the same optimizer first (their constructors run their own step 0), then
# sequenced; the spec lists the children as scheduler specs.
def spec(kind, options):
    return {'scheduler': kind, 'options': options}


AIRBENCH_TOTAL = 50
AIRBENCH_WARMUP = int(AIRBENCH_TOTAL * 0.23)
add('sequential-warmup-decay', 'SequentialLR',
    {'schedulers': [spec('LinearLR', {'startFactor': 0.2, 'endFactor': 1.0, 'totalIters': AIRBENCH_WARMUP}),
                    spec('LinearLR', {'startFactor': 1.0, 'endFactor': 0.07, 'totalIters': AIRBENCH_TOTAL - AIRBENCH_WARMUP})],
     'milestones': [AIRBENCH_WARMUP]},
    0.1, AIRBENCH_TOTAL,
    lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.2, end_factor=1.0, total_iters=AIRBENCH_WARMUP),
                                 S.LinearLR(o, start_factor=1.0, end_factor=0.07, total_iters=AIRBENCH_TOTAL - AIRBENCH_WARMUP)],
                             milestones=[AIRBENCH_WARMUP]))
add('sequential-three', 'SequentialLR',
    {'schedulers': [spec('ExponentialLR', {'gamma': 0.9}), spec('StepLR', {'stepSize': 3, 'gamma': 0.5}),
                    spec('CosineAnnealingLR', {'tMax': 6, 'etaMin': 1e-3})],
     'milestones': [4, 10]},
    0.1, 20,
    lambda o: S.SequentialLR(o, [S.ExponentialLR(o, gamma=0.9), S.StepLR(o, step_size=3, gamma=0.5),
                                 S.CosineAnnealingLR(o, T_max=6, eta_min=1e-3)], milestones=[4, 10]))
add('sequential-restarts-multistep', 'SequentialLR',
    {'schedulers': [spec('LinearLR', {'startFactor': 0.5, 'endFactor': 1.0, 'totalIters': 3}),
                    spec('CosineAnnealingWarmRestarts', {'t0': 3, 'tMult': 2, 'etaMin': 0}),
                    spec('MultiStepLR', {'milestones': [2, 4], 'gamma': 0.5})],
     'milestones': [3, 12]},
    0.2, 20,
    lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.5, end_factor=1.0, total_iters=3),
                                 S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0),
                                 S.MultiStepLR(o, milestones=[2, 4], gamma=0.5)], milestones=[3, 12]))


def airbench_factor(step):
    """airbench94's LambdaLR factor: 0.2 → 1 over the warm-up (23% of the steps), then 1 → 0.07."""
    warmup, warmdown = AIRBENCH_WARMUP, AIRBENCH_TOTAL - AIRBENCH_WARMUP
    if step < warmup:
        frac = step / warmup
        return 0.2 * (1 - frac) + 1.0 * frac
    frac = (step - warmup) / warmdown
    return 1.0 * (1 - frac) + 0.07 * frac


airbench_lambda = {'baseLr': 0.1, 'steps': AIRBENCH_TOTAL,
                   'lrs': seq(lambda o: S.LambdaLR(o, airbench_factor), 0.1, AIRBENCH_TOTAL)}

plateau_metrics_a = [1.0, 0.9, 0.95, 0.93, 0.91, 0.9, 0.9, 0.89, 0.8999, 0.895, 0.9, 0.9, 0.9, 0.9, 0.85, 0.9, 0.9, 0.9, 0.9, 0.9]
add('plateau-min-rel', 'ReduceLROnPlateau', {'mode': 'min', 'factor': 0.5, 'patience': 2, 'threshold': 1e-2},
    0.1, len(plateau_metrics_a), lambda o: S.ReduceLROnPlateau(o, mode='min', factor=0.5, patience=2, threshold=1e-2),
    plateau_metrics_a)
plateau_metrics_b = [0.5, 0.6, 0.6, 0.6, 0.61, 0.6, 0.6, 0.6, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7,
                     0.7, 0.7, 0.7, 0.7, 0.7]
add('plateau-max-abs-cooldown', 'ReduceLROnPlateau',
    {'mode': 'max', 'factor': 0.1, 'patience': 1, 'threshold': 0.05, 'thresholdMode': 'abs', 'cooldown': 2, 'minLr': 1e-5},
    0.1, len(plateau_metrics_b),
    lambda o: S.ReduceLROnPlateau(o, mode='max', factor=0.1, patience=1, threshold=0.05, threshold_mode='abs', cooldown=2,
                                  min_lr=1e-5),
    plateau_metrics_b)

out = os.path.join(os.path.dirname(__file__), '..', 'src', '__fixtures__', 'schedulers-torch.json')
with open(out, 'w') as f:
    json.dump({'generatedBy': f'scripts/scheduler-fixtures.py with torch {torch.__version__}', 'cases': cases,
               'airbenchLambdaLR': airbench_lambda}, f, indent=1)
    f.write('\n')
print(f'wrote {len(cases)} cases to {os.path.normpath(out)}')
