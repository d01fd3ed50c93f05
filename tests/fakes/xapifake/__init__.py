# SPDX-License-Identifier: AGPL-3.0-or-later
"""A fake XAPI (the XenServer / XCP-ng management API) for the tests: see tests/fakes/xapi for how to run it.

Modules: schema (classes and fields as XAPI's datamodel has them), rpc (XML-RPC and JSON-RPC wire formats, API
errors), store (state.json, sparse VDI images, faults, calls.log), model (what VM/VDI operations do, SR space),
api (dispatch and the API calls), xva (the XVA export format), vhd (dynamic VHD streams), web (HTTP server and
XAPI's HTTP handlers). Each module's docstring names the xen-api sources it follows.
"""
