"""Postmortems and compliance audits from evidence, and configuration integrity.

Entry points:
- ``postmortem.build(ctx, since, until, ip, template, llm)`` -> (Incident, Document); ``postmortem.render``
- ``audit.run_audit(ctx, framework)`` -> AuditReport; ``audit.check_rule(ctx, rule, framework)``
- ``signify.check_file`` and ``integrity.signatures_check`` / ``integrity.drift_check``

``ctx`` is an ``askzero.assistant.context.SiteContext``. Nothing here imports a model unless
``build`` is given one.
"""
