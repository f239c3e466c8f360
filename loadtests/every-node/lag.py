#!/usr/bin/env python3
"""Follower propagation lag: scales the hostname service back and forth through the manager and times, by polling
every gateway's /api/state together, when the manager gateway and each worker gateway first route the new count.

usage: lag.py ROUNDS MANAGER_IP WORKER_IP [WORKER_IP...]   ($LAB: scripts/lab.sh by default, from the repo root)
Prints one line per change: manager_ms worker_ms... ; and exits non-zero if a change is not seen within 60 s.
"""
import json, os, subprocess, sys, threading, time, urllib.request

rounds, manager, workers = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
lab = [os.environ.get('LAB', 'scripts/lab.sh')]

def routed(ip):
    with urllib.request.urlopen(f'http://{ip}:8080/api/state', timeout=2) as r:
        state = json.load(r)
    for s in state['services']:
        if s['name'] == 'ingress_hostname':
            return sum(1 for t in s['tasks'] if t['health'] in ('in rotation', 'healthy'))
    return -1

def scale(n):
    subprocess.run(['bash', *lab, 'docker', '1', 'service', 'scale', '--detach', f'ingress_hostname={n}'], check=True, capture_output=True)

for i in range(rounds):
    target = 4 if i % 2 == 0 else 3
    seen = {}
    start = time.monotonic()
    scale(target)
    def watch(ip):
        while time.monotonic() - start < 60:
            try:
                if routed(ip) == target:
                    seen[ip] = time.monotonic() - start
                    return
            except Exception:
                pass
            time.sleep(0.01)
    threads = [threading.Thread(target=watch, args=(ip,)) for ip in [manager, *workers]]
    for t in threads: t.start()
    for t in threads: t.join()
    if len(seen) != 1 + len(workers):
        print(f'change to {target} replicas not seen everywhere within 60 s: {seen}', file=sys.stderr)
        sys.exit(1)
    print(' '.join(f'{seen[ip] * 1000:.0f}' for ip in [manager, *workers]), flush=True)
scale(3)
