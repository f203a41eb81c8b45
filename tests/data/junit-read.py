#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# What junitparser (Debian's python3-junitparser) reads from a JUnit XML
# file, as one JSON document on stdout: each suite's declared counts and
# those its test cases add up to, and each case's classname, name, time,
# verdict (kind, type, message, text), system-out and properties.
# Usage: junit-read.py FILE
import json
import sys

from junitparser import JUnitXml, TestSuite


def case_json(case):
    props = {}
    for elem in case._elem.iter('property'):
        props[elem.get('name')] = elem.get('value')
    return {
        'classname': case.classname,
        'name': case.name,
        'time': case.time,
        'passed': case.is_passed,
        'skipped': case.is_skipped,
        'result': [{'kind': r._tag, 'type': r.type, 'message': r.message, 'text': r.text}
                   for r in case.result],
        'system_out': case.system_out,
        'properties': props,
    }


def suite_json(suite):
    cases = [case_json(c) for c in suite]
    kinds = [r['kind'] for c in cases for r in c['result']]
    return {
        'name': suite.name,
        'declared': {'tests': suite.tests, 'failures': suite.failures,
                     'errors': suite.errors, 'skipped': suite.skipped},
        'counted': {'tests': len(cases), 'failures': kinds.count('failure'),
                    'errors': kinds.count('error'), 'skipped': kinds.count('skipped')},
        'time': suite.time,
        'cases': cases,
    }


xml = JUnitXml.fromfile(sys.argv[1])
suites = [xml] if isinstance(xml, TestSuite) else list(xml)
json.dump({'suites': [suite_json(s) for s in suites]}, sys.stdout, ensure_ascii=False)
print()
