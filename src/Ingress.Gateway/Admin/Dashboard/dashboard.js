// The admin dashboard: polls /api/state every second and renders it. Every value comes from the gateway; request
// rates and latencies are differences between two polls of the cumulative per-replica counters. Text from the swarm
// (service names, labels) is user-controlled, so it is only ever set through textContent, never as HTML.
// Static routes (the ReverseProxy configuration) are listed as entries of their own, "static: <route id>", beside the
// labelled services, with their destinations in place of replicas; every entry shows its routes' policies as badges.
'use strict';

(() => {
  const POLL_INTERVAL_MS = 1000;
  const REQUEST_TIMEOUT_MS = 5000;
  const MAX_EVENTS_SHOWN = 100;
  // Below this many services every service starts expanded; above, rows start collapsed so the list stays readable.
  const EXPAND_BY_DEFAULT_UP_TO = 8;

  const HEALTH_GOOD = new Set(['healthy', 'in rotation']);
  const HEALTH_BAD = new Set(['ejected (passive)', 'unhealthy (probe)']);
  const POLICY_NAMES = {
    RoundRobin: 'round robin',
    LeastRequests: 'least requests',
    PowerOfTwoChoices: 'power of two',
    Random: 'random',
  };
  const EVENT_TONE = {
    'task-added': 'good',
    'service-added': 'good',
    'service-routed': 'good',
    'source-recovered': 'good',
    'task-removed': 'warn',
    'service-removed': 'warn',
    'service-disabled': 'idle',
    'service-invalid': 'bad',
    'source-failing': 'bad',
  };

  const byId = (id) => document.getElementById(id);
  const main = byId('main');
  const list = byId('service-list');
  const filterBox = byId('filter');

  /** Last counters per replica ("service\0task" -> {requests, failures, seconds, at}), to difference against. */
  const previous = new Map();
  /** DOM of each service, kept between polls so expansion, focus and selection survive a refresh. */
  const views = new Map();
  /** Expanded/collapsed as the user chose it, per service; otherwise the default applies. */
  const choices = new Map();
  let latest = null;
  let lastEventKey = '';

  // ---- helpers ---------------------------------------------------------------------------------------------------

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function setText(node, text) {
    if (node.textContent !== text) node.textContent = text;
  }

  function setClass(node, className) {
    if (node.className !== className) node.className = className;
  }

  function setTitle(node, title) {
    if (node.title !== title) node.title = title;
  }

  function formatRate(rate) {
    if (rate === null) return '—';
    return rate >= 100 ? rate.toFixed(0) : rate.toFixed(1);
  }

  function formatLatency(seconds) {
    if (seconds === null) return '—';
    const ms = seconds * 1000;
    if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
    if (ms >= 10) return `${ms.toFixed(0)} ms`;
    if (ms >= 1) return `${ms.toFixed(1)} ms`;
    return `${ms.toFixed(2)} ms`;
  }

  function shortId(id) {
    return id ? id.slice(0, 12) : '—';
  }

  function healthTone(health) {
    return HEALTH_GOOD.has(health) ? 'good' : HEALTH_BAD.has(health) ? 'bad' : 'idle';
  }

  function describeRoute(route) {
    return route.replace(' -> ', ' → ');
  }

  /** Routed services and static routes send traffic to their replicas; disabled and invalid services don't. */
  function serves(service) {
    return service.status === 'routed' || service.status === 'static';
  }

  /** A static route's rule, as the services' are written: hosts, entry ports, path, then its cluster. */
  function describeMatch(route) {
    const hosts = route.match.hosts && route.match.hosts.length > 0 ? `${route.match.hosts.join(',')}` : '';
    return `${hosts}${route.entryPorts.map((p) => `:${p}`).join(',')} ${route.match.path ?? '/'} → ${route.cluster}`;
  }

  /**
   * The list the page shows: every labelled service, with the policies of its routes, then every static route as an
   * entry of its own whose "replicas" are its cluster's destinations.
   */
  function entriesOf(state) {
    const routes = state.routes ?? [];
    const policiesOf = (routesOfEntry) => {
      const seen = new Set();
      const policies = [];
      for (const route of routesOfEntry) {
        for (const policy of route.policies) {
          const key = `${policy.name}\u0000${policy.value}`;
          if (!seen.has(key)) {
            seen.add(key);
            policies.push(policy);
          }
        }
      }

      return policies;
    };
    const services = state.services.map((service) => ({
      ...service,
      policies: policiesOf(routes.filter((r) => r.source === service.name)),
    }));
    const statics = routes.filter((r) => r.source === 'static').map((route) => ({
      name: `static: ${route.id}`,
      source: 'static',
      status: 'static',
      routes: [describeMatch(route)],
      loadBalancing: route.loadBalancing,
      errors: [],
      labels: {},
      policies: route.policies,
      tasks: route.destinations.map((d) => ({
        id: d.id,
        address: d.address,
        slot: 0,
        nodeId: null,
        containerId: null,
        hostname: null,
        state: 'configured',
        health: d.health,
        requests: d.requests,
        failures: d.failures,
        totalSeconds: d.totalSeconds,
        // Static routes may share a cluster: the totals count each destination once.
        shared: `${route.cluster}\u0000${d.id}`,
      })),
    }));
    return [...services, ...statics];
  }

  function clock(iso) {
    const date = new Date(iso);
    return date.toLocaleTimeString([], { hour12: false });
  }

  // ---- rates from cumulative counters ---------------------------------------------------------------------------

  /** Adds rate, latency and failureRate to every task and service, from the counters' change since the last poll. */
  function measure(state) {
    const at = Date.parse(state.time);
    const seen = new Set();
    for (const service of state.services) {
      let requests = 0;
      let seconds = 0;
      let rate = null;
      for (const task of service.tasks) {
        const key = `${service.name}\u0000${task.id}`;
        seen.add(key);
        const before = previous.get(key);
        task.rate = null;
        task.latency = null;
        task.servedInInterval = 0;
        task.secondsInInterval = 0;
        // A counter that went down belongs to a new destination (e.g. the route was rebuilt): no interval to compare.
        if (before && at > before.at && task.requests >= before.requests) {
          const served = task.requests - before.requests;
          task.rate = served / ((at - before.at) / 1000);
          task.latency = served > 0 ? Math.max(0, task.totalSeconds - before.seconds) / served : null;
          task.servedInInterval = served;
          task.secondsInInterval = Math.max(0, task.totalSeconds - before.seconds);
          requests += served;
          seconds += Math.max(0, task.totalSeconds - before.seconds);
          rate = (rate ?? 0) + task.rate;
        }

        if (!before || at > before.at) {
          previous.set(key, { requests: task.requests, seconds: task.totalSeconds, at });
        }
      }

      service.rate = rate;
      service.latency = requests > 0 ? seconds / requests : null;
      service.requestsInInterval = requests;
      service.secondsInInterval = seconds;
    }

    for (const key of previous.keys()) {
      if (!seen.has(key)) previous.delete(key);
    }
  }

  // ---- header and totals ----------------------------------------------------------------------------------------

  function renderFacts(state) {
    setText(byId('entry-ports'), state.entryPorts.join(', '));
    setText(byId('admin-port'), String(state.adminPort));
    setText(byId('revision'), String(state.configRevision));
    const ready = byId('ready');
    setText(ready, state.ready ? 'ready' : 'not ready');
    setClass(ready, state.ready ? 'badge good' : 'badge bad');

    const sources = byId('sources');
    const text = state.sources.length === 0
      ? 'none'
      : state.sources.map((s) => `${s.source} ${s.state}`).join(' · ');
    setText(sources, text);
    setClass(sources, state.sources.some((s) => s.state === 'failing') ? 'badge bad' : '');
    setTitle(sources, state.sources.filter((s) => s.lastError).map((s) => `${s.source}: ${s.lastError}`).join('\n'));
  }

  /** The control channel: a manager gateway's followers, or whom a follower follows, and a banner while it follows none. */
  function renderControl(state) {
    const control = state.control;
    byId('control-fact').hidden = !control;
    const lost = control && control.role === 'follower' && !control.connected;
    byId('control-lost').hidden = !lost;
    if (!control) return;

    const fact = byId('control');
    if (control.role === 'manager') {
      setText(fact, `manager · ${control.followers} follower${control.followers === 1 ? '' : 's'} waiting`);
      setClass(fact, control.connected ? 'badge good' : 'badge warn');
      setTitle(fact, control.connected ? `taking follower requests on ${control.network.join(', ')}` : 'control network not known yet');
    } else {
      setText(fact, control.connected ? `following ${shortId(control.manager)}` : 'following no manager');
      setClass(fact, control.connected ? 'badge good' : 'badge bad');
      setTitle(fact, control.connected ? `${control.following}, revision ${control.revision}` : control.lastError ?? '');
    }

    if (lost) {
      const heard = control.lastHeard ? Math.max(0, (Date.parse(state.time) - Date.parse(control.lastHeard)) / 1000) : null;
      setText(byId('control-lost-title'), control.since
        ? `No manager gateway answers since ${clock(control.since)}: serving the last known state`
        : 'No manager gateway has answered yet: nothing to route by');
      setText(byId('control-lost-detail'), (heard === null ? 'No state received. ' : `State of revision ${control.revision}, last confirmed ${heard.toFixed(0)} s ago. `)
        + (control.lastError ?? ''));
    }
  }

  function renderTotals(state) {
    const counts = { routed: 0, disabled: 0, invalid: 0, static: 0 };
    let replicas = 0;
    let inRotation = 0;
    let rate = null;
    let requests = 0;
    let seconds = 0;
    const shared = new Set();
    for (const service of state.services) {
      counts[service.status] = (counts[service.status] ?? 0) + 1;
      if (service.status === 'static') {
        // A destination of a cluster that several static routes share is counted once.
        for (const task of service.tasks) {
          if (shared.has(task.shared)) continue;
          shared.add(task.shared);
          replicas++;
          if (HEALTH_GOOD.has(task.health)) inRotation++;
          if (task.rate !== null) rate = (rate ?? 0) + task.rate;
          requests += task.servedInInterval;
          seconds += task.secondsInInterval;
        }

        continue;
      }

      // Tasks of disabled or invalid services get no traffic by design; they are not counted as out of rotation.
      if (service.status === 'routed') {
        for (const task of service.tasks) {
          replicas++;
          if (HEALTH_GOOD.has(task.health)) inRotation++;
        }
      }

      if (service.rate !== null) rate = (rate ?? 0) + service.rate;
      requests += service.requestsInInterval;
      seconds += service.secondsInInterval;
    }

    setText(byId('total-services'), String(state.services.length));
    setText(byId('total-services-detail'), `${counts.routed} routed · ${counts.disabled} disabled · ${counts.invalid} invalid`
      + (counts.static > 0 ? ` · ${counts.static} static` : ''));
    setText(byId('total-replicas'), `${inRotation} / ${replicas}`);
    setText(byId('total-replicas-detail'), replicas - inRotation === 0 ? 'of routed services, all in rotation' : `of routed services, ${replicas - inRotation} out of rotation`);
    setClass(byId('total-replicas'), replicas - inRotation === 0 ? 'value' : 'value warn');
    setText(byId('total-rate'), formatRate(rate));
    setText(byId('total-latency'), formatLatency(requests > 0 ? seconds / requests : null));
  }

  /** ACME: how many certificates are valid, and each failing one with the certificate authority's reason. */
  function renderAcme(state) {
    const acme = state.acme;
    byId('acme-fact').hidden = !acme;
    const failing = acme ? acme.certificates.filter((c) => c.state === 'failing') : [];
    byId('acme-failing').hidden = failing.length === 0;
    if (!acme) return;

    const valid = acme.certificates.filter((c) => c.state === 'valid').length;
    const fact = byId('acme');
    setText(fact, `${acme.role}${acme.issuer ? ' (issuer)' : ''} · ${valid} of ${acme.certificates.length} valid`
      + (failing.length > 0 ? ` · ${failing.length} failing` : ''));
    setClass(fact, failing.length > 0 || acme.electionError ? 'badge bad' : 'badge good');
    setTitle(fact, acme.electionError ?? acme.certificates.map((c) => `${c.names.join(', ')}: ${c.state}${c.notAfter ? `, until ${c.notAfter}` : ''}`).join('\n'));

    setText(byId('acme-failing-title'), failing.length === 1
      ? '1 ACME certificate cannot be obtained'
      : `${failing.length} ACME certificates cannot be obtained`);
    const items = byId('acme-failing-list');
    const key = JSON.stringify(failing.map((c) => [c.names, c.lastError, c.nextAttempt]));
    if (items.dataset.key === key) return;
    items.dataset.key = key;
    items.replaceChildren(...failing.map((certificate) => {
      const item = element('li');
      item.dataset.names = certificate.names.join(',');
      item.append(element('span', 'service-name', certificate.names.join(', ')));
      item.append(document.createTextNode(` (${certificate.failures} failed, next attempt ${clock(certificate.nextAttempt)}`
        + `${certificate.notAfter ? `; the certificate held is served until ${clock(certificate.notAfter)}` : ''}) `));
      item.append(element('span', 'error', certificate.lastError ?? ''));
      return item;
    }));
  }

  function renderProblems(state) {
    const invalid = state.services.filter((s) => s.status === 'invalid');
    byId('problems').hidden = invalid.length === 0;
    setText(byId('problems-title'), invalid.length === 1
      ? '1 service is not routed because of invalid labels'
      : `${invalid.length} services are not routed because of invalid labels`);
    const items = byId('problem-list');
    const key = JSON.stringify(invalid.map((s) => [s.name, s.errors]));
    if (items.dataset.key === key) return;
    items.dataset.key = key;
    items.replaceChildren(...invalid.map((service) => {
      const item = element('li');
      item.dataset.service = service.name;
      item.append(element('span', 'service-name', service.name));
      service.errors.forEach((error, i) => {
        if (i > 0) item.append(document.createTextNode(' · '));
        item.append(element('span', 'error', error));
      });
      return item;
    }));
  }

  // ---- services -------------------------------------------------------------------------------------------------

  function isExpanded(name) {
    if (choices.has(name)) return choices.get(name);
    return latest !== null && latest.services.length <= EXPAND_BY_DEFAULT_UP_TO;
  }

  function createServiceView(name) {
    const root = element('article', 'service');
    root.dataset.service = name;

    const head = element('div', 'service-head');
    const toggle = element('button', 'toggle');
    toggle.type = 'button';
    toggle.setAttribute('aria-label', `Show or hide the replicas of ${name}`);
    const nameCell = element('span', 'name', name);
    const source = element('span', 'source');
    nameCell.append(source);
    const status = element('span', 'badge');
    status.dataset.field = 'status';
    const rule = element('span', 'rule');
    rule.dataset.field = 'rule';
    const lb = element('span', 'lb');
    lb.dataset.field = 'lb';
    const replicaSummary = element('span', 'replica-summary');
    const dots = element('span', 'dots');
    const replicaCount = element('span', 'replica-count');
    replicaCount.dataset.field = 'replicas';
    replicaSummary.append(dots, replicaCount);
    const rate = element('span', 'num');
    rate.dataset.field = 'rate';
    const latency = element('span', 'num');
    latency.dataset.field = 'latency';
    head.append(toggle, nameCell, status, rule, lb, replicaSummary, rate, latency);

    const policies = element('ul', 'policies');
    policies.dataset.field = 'policies';
    policies.setAttribute('aria-label', `Policies of ${name}`);

    const errors = element('ul', 'service-errors');
    errors.dataset.field = 'errors';

    const body = element('div', 'service-body');
    const table = element('table', 'replicas');
    const headRow = element('tr');
    for (const [title, numeric] of [['Task', false], ['Slot', true], ['Host name', false], ['IP', false], ['Node', false],
      ['State', false], ['Health', false], ['Req/s', true], ['Avg latency', true], ['Requests', true], ['5xx', true]]) {
      headRow.append(element('th', numeric ? 'num' : '', title));
    }

    const tbody = element('tbody');
    table.append(element('thead'), tbody);
    table.tHead.append(headRow);
    body.append(table);
    root.append(head, policies, errors, body);

    const view = { root, head, toggle, source, status, rule, lb, dots, replicaCount, rate, latency, policies, errors, body, tbody, rows: new Map() };
    head.addEventListener('click', (event) => {
      if (event.target.closest('a')) return;
      choices.set(name, !isExpanded(name));
      applyExpansion(view, name);
    });
    return view;
  }

  function applyExpansion(view, name) {
    const expanded = isExpanded(name) || view.forcedOpen === true;
    view.toggle.setAttribute('aria-expanded', String(expanded));
    view.body.hidden = !expanded;
  }

  function updateServiceView(view, service) {
    setClass(view.root, `service ${service.status}`);
    setText(view.source, service.source === 'docker' || service.source === 'static' ? '' : service.source);
    setText(view.status, service.status);
    setClass(view.status, `badge ${service.status}`);

    const routes = service.routes.map(describeRoute);
    if (routes.length > 0) {
      setText(view.rule, routes.join(', '));
    } else {
      setText(view.rule, service.status === 'disabled' ? 'ingress.enable=false' : 'not routed');
    }

    setTitle(view.rule, routes.join('\n'));
    setText(view.lb, service.loadBalancing ? (POLICY_NAMES[service.loadBalancing] ?? service.loadBalancing) : '—');

    const good = service.tasks.filter((t) => HEALTH_GOOD.has(t.health)).length;
    setText(view.replicaCount, serves(service) ? `${good}/${service.tasks.length}` : `${service.tasks.length}`);
    setTitle(view.replicaCount, serves(service)
      ? `${good} of ${service.tasks.length} replicas in rotation`
      : `${service.tasks.length} tasks (not routed)`);
    renderDots(view.dots, service);

    setText(view.rate, serves(service) ? formatRate(service.rate) : '');
    setText(view.latency, serves(service) ? formatLatency(service.latency) : '');
    renderPolicies(view.policies, service.policies ?? []);

    const errorKey = service.errors.join('\n');
    if (view.errors.dataset.key !== errorKey) {
      view.errors.dataset.key = errorKey;
      view.errors.replaceChildren(...service.errors.map((e) => element('li', '', e)));
    }

    view.errors.hidden = service.errors.length === 0;
    renderReplicas(view, service);
  }

  /** The policies of an entry's routes as compact badges: name, then value (timeout 30s, hsts max-age=600). */
  function renderPolicies(list, policies) {
    const key = JSON.stringify(policies.map((p) => [p.name, p.value]));
    if (list.dataset.key === key) return;
    list.dataset.key = key;
    list.hidden = policies.length === 0;
    list.replaceChildren(...policies.map((policy) => {
      const item = element('li', 'policy');
      item.dataset.policy = policy.name;
      item.title = `${policy.name}: ${policy.value}`;
      item.append(element('span', 'policy-name', policy.name), element('span', 'policy-value', policy.value));
      return item;
    }));
  }

  function renderDots(dots, service) {
    while (dots.children.length < service.tasks.length) dots.append(element('span', 'dot'));
    while (dots.children.length > service.tasks.length) dots.lastChild.remove();
    service.tasks.forEach((task, i) => {
      const dot = dots.children[i];
      setClass(dot, serves(service) ? `dot ${healthTone(task.health)}` : 'dot');
      setTitle(dot, `${task.hostname ?? shortId(task.id)} ${task.address}: ${task.health}`);
    });
  }

  function renderReplicas(view, service) {
    const seen = new Set();
    let index = 0;
    for (const task of service.tasks) {
      seen.add(task.id);
      let row = view.rows.get(task.id);
      if (!row) {
        row = createReplicaRow(task.id);
        view.rows.set(task.id, row);
      }

      if (view.tbody.children[index] !== row.tr) view.tbody.insertBefore(row.tr, view.tbody.children[index] ?? null);
      index++;
      setText(row.id, shortId(task.id));
      setTitle(row.id, task.id);
      setText(row.slot, task.slot > 0 ? String(task.slot) : '—');
      setText(row.hostname, task.hostname ?? '—');
      setTitle(row.hostname, task.containerId ?? '');
      setText(row.address, task.address);
      setText(row.node, shortId(task.nodeId));
      setTitle(row.node, task.nodeId ?? '');
      setText(row.state, task.state);
      setText(row.health, task.health);
      setClass(row.health, `badge ${serves(service) ? healthTone(task.health) : 'idle'}`);
      setText(row.rate, formatRate(task.rate));
      setText(row.latency, formatLatency(task.latency));
      setText(row.requests, String(task.requests));
      setText(row.failures, String(task.failures));
    }

    for (const [id, row] of view.rows) {
      if (!seen.has(id)) {
        row.tr.remove();
        view.rows.delete(id);
      }
    }

    if (service.tasks.length === 0) {
      if (!view.emptyRow) {
        view.emptyRow = element('tr');
        const cell = element('td', 'no-tasks', 'No running task: requests to this service are answered 503.');
        cell.colSpan = 11;
        view.emptyRow.append(cell);
      }

      view.tbody.append(view.emptyRow);
    } else if (view.emptyRow) {
      view.emptyRow.remove();
    }
  }

  function createReplicaRow(id) {
    const tr = element('tr');
    tr.dataset.task = id;
    const cell = (field, className) => {
      const td = element('td', className);
      td.dataset.field = field;
      tr.append(td);
      return td;
    };
    const row = {
      tr,
      id: cell('task', 'mono'),
      slot: cell('slot', 'num'),
      hostname: cell('hostname', 'mono'),
      address: cell('address', 'mono'),
      node: cell('node', 'mono'),
      state: cell('state', ''),
      health: null,
      rate: null,
      latency: null,
      requests: null,
      failures: null,
    };
    const healthCell = element('td');
    row.health = element('span', 'badge');
    row.health.dataset.field = 'health';
    healthCell.append(row.health);
    tr.append(healthCell);
    row.rate = cell('rate', 'num');
    row.latency = cell('latency', 'num');
    row.requests = cell('requests', 'num');
    row.failures = cell('failures', 'num');
    return row;
  }

  function renderServices(state) {
    const names = new Set();
    let index = 0;
    for (const service of state.services) {
      names.add(service.name);
      let view = views.get(service.name);
      if (!view) {
        view = createServiceView(service.name);
        views.set(service.name, view);
      }

      if (list.children[index] !== view.root) list.insertBefore(view.root, list.children[index] ?? null);
      index++;
      updateServiceView(view, service);
    }

    for (const [name, view] of views) {
      if (!names.has(name)) {
        view.root.remove();
        views.delete(name);
      }
    }

    byId('empty').hidden = state.services.length > 0;
    applyFilter();
  }

  // ---- filter ---------------------------------------------------------------------------------------------------

  function serviceText(service) {
    return [service.name, service.status, service.source, service.loadBalancing ?? '', ...service.routes, ...service.errors,
      ...Object.entries(service.labels).map(([k, v]) => `${k}=${v}`),
      ...(service.policies ?? []).map((p) => `${p.name} ${p.value}`)].join('\n').toLowerCase();
  }

  function taskText(task) {
    return [task.id, task.hostname ?? '', task.containerId ?? '', task.address, task.nodeId ?? '', task.state, task.health]
      .join('\n').toLowerCase();
  }

  /** Shows the services matching the filter; a service matched only through a replica opens to show that replica. */
  function applyFilter() {
    if (!latest) return;
    const query = filterBox.value.trim().toLowerCase();
    let shown = 0;
    for (const service of latest.services) {
      const view = views.get(service.name);
      let visible = true;
      view.forcedOpen = false;
      if (query) {
        const serviceMatches = serviceText(service).includes(query);
        const taskMatches = service.tasks.some((t) => taskText(t).includes(query));
        visible = serviceMatches || taskMatches;
        view.forcedOpen = !serviceMatches && taskMatches;
        for (const task of service.tasks) {
          view.rows.get(task.id).tr.hidden = view.forcedOpen && !taskText(task).includes(query);
        }
      } else {
        for (const row of view.rows.values()) row.tr.hidden = false;
      }

      view.root.hidden = !visible;
      applyExpansion(view, service.name);
      if (visible) shown++;
    }

    const total = latest.services.length;
    setText(byId('service-count'), query ? `${shown} of ${total}` : String(total));
    byId('no-match').hidden = !query || shown > 0 || total === 0;
  }

  // ---- events ---------------------------------------------------------------------------------------------------

  function renderEvents(state) {
    const events = state.events;
    const key = events.length === 0 ? '' : `${events[0].sequence}/${events.length}`;
    setText(byId('event-count'), String(events.length));
    if (key === lastEventKey) return;
    lastEventKey = key;
    const items = events.slice(0, MAX_EVENTS_SHOWN).map((event) => {
      const item = element('li');
      item.dataset.kind = event.kind;
      const time = element('time', '', clock(event.time));
      time.dateTime = event.time;
      const what = element('span', 'what');
      what.append(element('span', `badge ${EVENT_TONE[event.kind] ?? 'idle'}`, event.kind));
      if (event.service) what.append(element('span', 'event-service', event.service));
      item.append(time, what, element('span', 'message', event.message));
      return item;
    });
    if (events.length > MAX_EVENTS_SHOWN) {
      const more = element('li');
      more.append(element('span'), element('span', 'more', `${events.length - MAX_EVENTS_SHOWN} older events not shown`));
      items.push(more);
    }

    byId('event-list').replaceChildren(...items);
  }

  // ---- polling --------------------------------------------------------------------------------------------------

  function render(state) {
    state.services = entriesOf(state);
    measure(state);
    latest = state;
    renderFacts(state);
    renderControl(state);
    renderAcme(state);
    renderTotals(state);
    renderProblems(state);
    renderServices(state);
    renderEvents(state);
  }

  function setLive(ok, text) {
    const live = byId('live');
    setClass(live, ok ? 'live ok' : 'live error');
    setText(live, text);
    main.classList.toggle('stale', !ok && latest !== null);
  }

  async function poll() {
    const started = performance.now();
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), REQUEST_TIMEOUT_MS);
    try {
      const response = await fetch('api/state', { cache: 'no-store', signal: abort.signal });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const state = await response.json();
      render(state);
      setLive(true, `Live · updated ${clock(state.time)}`);
    } catch (error) {
      const reason = error.name === 'AbortError' ? 'timed out' : error.message;
      setLive(false, `Cannot reach /api/state (${reason}); retrying`);
    } finally {
      clearTimeout(timer);
      setTimeout(poll, Math.max(0, POLL_INTERVAL_MS - (performance.now() - started)));
    }
  }

  // ---- controls -------------------------------------------------------------------------------------------------

  filterBox.addEventListener('input', applyFilter);
  document.addEventListener('keydown', (event) => {
    if (event.key === '/' && document.activeElement !== filterBox) {
      event.preventDefault();
      filterBox.focus();
    } else if (event.key === 'Escape' && document.activeElement === filterBox) {
      filterBox.value = '';
      applyFilter();
    }
  });
  const setAll = (expanded) => {
    if (!latest) return;
    for (const service of latest.services) choices.set(service.name, expanded);
    applyFilter();
  };
  byId('expand-all').addEventListener('click', () => setAll(true));
  byId('collapse-all').addEventListener('click', () => setAll(false));

  poll();
})();
