# SPDX-License-Identifier: AGPL-3.0-or-later
"""A fake XAPI (the XenServer / XCP-ng management API) for the tests: see tests/fakes/xapi for how to run it.

Modules: schema (classes and fields as XAPI's datamodel has them), rpc (XML-RPC and JSON-RPC wire formats, API
errors), store (state.json, sparse VDI images, faults, calls.log), model (what VM/VDI operations do, SR space),
api (dispatch and the API calls), tarstream (tar framing, exact body reads), xxh64 (the chunk checksum), xva_write
(ova.xml and the XVA export streams), xva_read (the XVA import), vhd (dynamic VHD streams), httpcore (the HTTP server
core: plumbing, error pages, authentication, tasks, faults, servers), export_handlers (/export, /export_metadata,
/export_raw_vdi, /pool/xmldbdump), import_handlers (/import, /import_raw_vdi), web (routes and API calls).
Each module's docstring names the xen-api sources it follows.
"""
