/* msi study: the rating page.
 *
 * Offline (file://): the rater enters their code (or opens index.html#r03); answers are kept in
 * the browser's localStorage as they are given (a reload continues where the rater was) and
 * exported at the end as one CSV file in the documented answers format.
 * Served (http): the rater's link carries a token (?t=...); the server gives the plan and the
 * presentations already answered, and stores every answer as it is given.
 * A presentation's answers unlock only when its video(s) have played to the end.
 */
(function () {
  'use strict';
  var S = window.MSI_STUDY;
  var served = location.protocol === 'http:' || location.protocol === 'https:';
  var app = document.getElementById('app');
  var progressEl = document.getElementById('progress');
  var COLUMNS = ['study', 'rater', 'seq', 'type', 'kind', 'item', 'utterance', 'question', 'method', 'video', 'grade',
                 'a', 'b', 'choice', 'expect', 'seconds', 'answered_at'];
  var state = {rater: null, token: null, plan: [], answers: {}, introSeen: {}, current: null, agreed: false};
  var REDIRECT_MS = 3000;  // the completion code stays on screen this long before the platform's page opens

  function el(tag, attrs) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') e.textContent = attrs[k];
      else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), attrs[k]);
      else if (attrs[k] !== false && attrs[k] !== null && attrs[k] !== undefined) e.setAttribute(k, attrs[k] === true ? '' : attrs[k]);
    });
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) continue;
      (Array.isArray(c) ? c : [c]).forEach(function (x) { e.appendChild(typeof x === 'string' ? document.createTextNode(x) : x); });
    }
    return e;
  }
  function screen(name, nodes) {
    document.body.setAttribute('data-screen', name);
    app.replaceChildren.apply(app, nodes);
    window.scrollTo(0, 0);
  }
  function message(text, cls) { screen('error', [el('div', {'class': 'card ' + (cls || 'error'), id: 'message', text: text})]); }

  // ------------------------------------------------------------------ answers kept offline
  var storeKey = function (rater) { return 'msi-study:' + S.name + ':' + S.made_by + ':' + rater; };
  var lastKey = 'msi-study:' + S.name + ':last-rater';
  function loadLocal(rater) {
    try { return JSON.parse(localStorage.getItem(storeKey(rater)) || '{}'); } catch (e) { return {}; }
  }
  function saveLocal() {
    localStorage.setItem(storeKey(state.rater), JSON.stringify(state.answers));
    localStorage.setItem(lastKey, state.rater);
  }

  // ------------------------------------------------------------------ the tidy rows (as msi.study.answers.expand)
  function rowsOf(entry, values, seconds, at) {
    var item = S.items[entry.item], expect = item.expect || {};
    return S.questions.map(function (q) {
      var r = {study: S.name, rater: state.rater, seq: entry.seq, type: item.type, kind: entry.kind, item: item.id,
               utterance: item.utterance, question: q, seconds: seconds, answered_at: at};
      if (item.type !== 'pair') {
        // CCR: the page asks for the right video against the left; the row keeps the method's against the reference
        r.method = item.method; r.video = item.video; r.grade = item.type === 'ccr' && entry.swap ? -values[q] : values[q];
        if (expect.question === q) r.expect = 'grade' in expect ? '=' + expect.grade : '<=' + expect.max_grade;
      } else {
        var left = entry.swap ? item.b : item.a, right = entry.swap ? item.a : item.b;
        r.a = left; r.b = right; r.choice = values[q];
        if (expect.question === q) r.expect = expect.choice === left ? 'a' : 'b';
      }
      return r;
    });
  }
  function rows() {
    var out = [];
    state.plan.forEach(function (e) {
      var a = state.answers[e.seq];
      if (a && a.values) out = out.concat(rowsOf(e, a.values, a.seconds, a.at));
    });
    return out;
  }
  function csvCell(v) {
    if (v === undefined || v === null) return '';
    var s = String(v);
    return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }
  function exportCSV() {
    return [COLUMNS.join(',')].concat(rows().map(function (r) {
      return COLUMNS.map(function (c) { return csvCell(r[c]); }).join(',');
    })).join('\n') + '\n';
  }

  // ------------------------------------------------------------------ progress
  function counted() { return state.plan.filter(function (e) { return e.kind !== 'practice'; }); }
  function showProgress(entry) {
    var all = counted(), done = all.filter(function (e) { return e.seq in state.answers; }).length;
    progressEl.replaceChildren();
    if (!entry) return;
    var text = entry.kind === 'practice' ? 'Practice' :
      'Item ' + (all.findIndex(function (e) { return e.seq === entry.seq; }) + 1) + ' of ' + all.length;
    progressEl.append(el('span', {id: 'progress-text', text: text}),
                      el('span', {'class': 'bar'}, el('i', {style: 'width:' + (100 * done / Math.max(1, all.length)) + '%'})));
  }

  // ------------------------------------------------------------------ screens
  // the grades of a design: ACR's five, or DCR's and CCR's scales (the reference shown)
  function scaleOf(type) { return (S.scales && S.scales[type]) || S.grades; }
  var REFERENCED = {dcr: 'how much is the right video degraded compared with the reference (left)?',
                    ccr: 'how is the right video compared with the left one?'};
  function gradeTable(type) {
    return el('table', {'class': 'grades'}, scaleOf(type).map(function (g) {
      return el('tr', {}, el('td', {text: String(g[0])}), el('td', {text: g[1]}));
    }));
  }
  function intro(type, onStart) {
    var pair = type === 'pair', ref = type in REFERENCED;
    var nodes = [el('div', {'class': 'card', id: 'intro'},
      el('h2', {text: pair ? 'Comparing two videos' : ref ? 'Rating videos against a reference' : 'Rating videos'}),
      S.guideline.map(function (p) { return el('p', {text: p}); }),
      el('p', {text: pair ? 'You will see two versions side by side. For each question, choose the left video, ' +
                            'the right one, or "No preference".'
                    : type === 'dcr' ? 'You will see the reference video on the left and another version on the right. ' +
                                       'For each question, rate how much the right one is degraded, on the scale below:'
                    : type === 'ccr' ? 'You will see two versions side by side. For each question, rate the right ' +
                                       'video compared with the left one, on the scale below:'
                    : 'For each video, answer these questions on the scale below:'}),
      el('ul', {'class': 'questions'}, S.questions.map(function (q) {
        return el('li', {}, el('strong', {text: S.question_text[q].title + ': '}), ref ? REFERENCED[type] : S.question_text[q][type]);
      })),
      pair ? null : gradeTable(type),
      el('div', {'class': 'actions'}, el('button', {id: 'start', type: 'button', onclick: onStart},
        state.plan.some(function (e) { return e.kind === 'practice' && S.items[e.item].type === type; })
          ? 'Start the practice round' : 'Start')))];
    screen('intro', nodes);
  }
  function practiceOver(onGo) {
    screen('practice-over', [el('div', {'class': 'card', id: 'practice-over'},
      el('h2', {text: 'The practice round is over'}),
      el('p', {text: 'From now on your answers count. Take your time, and watch every video to its end.'}),
      el('div', {'class': 'actions'}, el('button', {id: 'go', type: 'button', onclick: onGo}, 'Continue')))]);
  }

  function present(entry) {
    var item = S.items[entry.item], pair = item.type === 'pair', ref = item.type in REFERENCED;
    var shownAt = performance.now();
    var sources = pair ? (entry.swap ? [item.video_b, item.video_a] : [item.video_a, item.video_b])
      : item.type === 'ccr' && entry.swap ? [item.video, item.reference]
      : ref ? [item.reference, item.video] : [item.video];
    var sides = pair || ref;
    var ended = sources.map(function () { return false; });
    var videos = sources.map(function (src, i) {
      var v = el('video', {src: src, preload: 'auto', playsinline: true, 'data-side': sides ? 'ab'[i] : null});
      v.addEventListener('ended', function () { ended[i] = true; update(); });
      return v;
    });
    var playBtn = el('button', {id: 'play', type: 'button', onclick: function () {
      videos.forEach(function (v) { v.currentTime = 0; var p = v.play(); if (p && p.catch) p.catch(function () {}); });
      playBtn.textContent = 'Play again';
    }}, 'Play');
    var hint = el('p', {'class': 'hint', id: 'hint', text: sides ? 'Watch both videos to their end to answer.'
                                                                : 'Watch the video to its end to answer.'});
    var sets = S.questions.map(function (q) {
      var opts = pair ? [['a', 'Left'], ['none', 'No preference'], ['b', 'Right']]
                      : scaleOf(item.type).map(function (g) { return [String(g[0]), g[0] + ' ' + g[1]]; });
      return el('fieldset', {disabled: true, 'data-question': q},
        el('legend', {text: ref ? S.question_text[q].title + ': ' + REFERENCED[item.type] : S.question_text[q][pair ? 'pair' : 'acr']}),
        el('div', {'class': 'scale'}, opts.map(function (o) {
          return el('label', {}, el('input', {type: 'radio', name: q, value: o[0], onchange: update}), o[1]);
        })));
    });
    var next = el('button', {id: 'next', type: 'button', disabled: true, onclick: submit}, 'Next');
    var status = el('p', {'class': 'error', id: 'status'});
    function values() {
      var v = {};
      S.questions.forEach(function (q) {
        var c = app.querySelector('input[name="' + q + '"]:checked');
        if (c) v[q] = pair ? c.value : parseInt(c.value, 10);
      });
      return v;
    }
    function allEnded() { return ended.every(Boolean); }
    function update() {
      var open = allEnded();
      sets.forEach(function (f) { f.disabled = !open; });
      hint.style.visibility = open ? 'hidden' : 'visible';
      next.disabled = !(open && Object.keys(values()).length === S.questions.length);
    }
    function submit() {
      if (!allEnded()) return;  // the rule holds even if the button is forced
      var v = values();
      if (Object.keys(v).length !== S.questions.length) return;
      var answer = {values: v, seconds: Math.round((performance.now() - shownAt) / 10) / 100, at: new Date().toISOString()};
      next.disabled = true;
      save(entry, answer).then(function () { state.answers[entry.seq] = answer; item.gold ? goldFeedback(item, v) : advance(); },
        function (err) { status.textContent = 'Your answer was not saved: ' + err + '. Please try again.'; next.disabled = false; });
    }
    var figs = videos.map(function (v, i) {
      var cap = item.type === 'dcr' ? (i ? 'Right' : 'Reference') : (i ? 'Right' : 'Left');
      return el('figure', {}, v, sides ? el('figcaption', {text: cap}) : null);
    });
    screen('item', [el('div', {'class': 'card', id: 'item', 'data-seq': entry.seq, 'data-kind': entry.kind},
      entry.kind === 'practice' ? el('p', {}, el('strong', {text: 'Practice'}), el('span', {'class': 'badge', text: 'does not count'})) : null,
      item.instruction ? el('p', {'class': 'instruction', id: 'instruction', text: item.instruction}) : null,
      el('div', {'class': 'videos'}, figs), el('div', {'class': 'controls'}, playBtn), hint,
      sets, status, el('div', {'class': 'actions'}, next))]);
    state.current = {entry: entry, ended: ended, videos: videos, submit: submit};
    showProgress(entry);
    update();
  }

  // a gold practice clip: whether the answer was within its known grades, and why (P.910's training feedback)
  function goldFeedback(item, values) {
    var e = item.expect, given = values[e.question];
    var right = 'grade' in e ? given === e.grade : given <= e.max_grade;
    screen('feedback', [el('div', {'class': 'card ' + (right ? 'right' : 'wrong'), id: 'feedback', 'data-right': String(right)},
      el('h2', {text: right ? 'Right.' : 'Not quite: you answered ' + given + ' on ' + S.question_text[e.question].title + '.'}),
      el('p', {text: item.feedback}),
      el('div', {'class': 'actions'}, el('button', {id: 'feedback-go', type: 'button', onclick: advance}, 'Continue')))]);
  }

  function save(entry, answer) {
    if (!served) {
      state.answers[entry.seq] = answer;
      saveLocal();
      return Promise.resolve();
    }
    return fetch('api/answer', {method: 'POST', headers: {'Content-Type': 'application/json'},
      body: JSON.stringify({t: state.token, seq: entry.seq, answers: answer.values, seconds: answer.seconds})})
      .then(function (r) {
        if (r.ok) return;
        return r.json().catch(function () { return {}; }).then(function (j) { throw (j.error || ('HTTP ' + r.status)); });
      }, function () { throw 'the server cannot be reached'; });
  }

  function finish() {
    showProgress(null);
    var nodes = [el('h2', {text: 'Thank you!'})];
    if (served) {
      nodes.push(el('p', {text: 'Your answers are saved. You can close this page.'}));
      // the completion code and the platform's return link, given by the server only once all is answered
      getJSON('api/done?t=' + encodeURIComponent(state.token)).then(function (d) {
        var card = document.getElementById('done');
        if (d.code) card.append(el('p', {id: 'completion'}, 'Your completion code: ', el('strong', {id: 'completion-code', text: d.code})));
        if (d.redirect) {
          card.append(el('p', {}, el('a', {id: 'redirect', href: d.redirect}, 'Return to the study platform'),
                          ' (you are taken there in a few seconds)'));
          setTimeout(function () { location.assign(d.redirect); }, REDIRECT_MS);
        }
      }, function (err) {
        document.getElementById('done').append(el('p', {'class': 'error', id: 'status', text: 'No completion code: ' + err}));
      });
    } else {
      var blob = new Blob([exportCSV()], {type: 'text/csv'});
      nodes.push(el('p', {text: 'Your answers are kept in this browser. Please download them and send the file ' +
                                'to the person running the study.'}),
                 el('p', {}, el('a', {id: 'download', href: URL.createObjectURL(blob),
                                      download: 'answers-' + S.name + '-' + state.rater + '.csv'}, 'Download your answers (CSV)')));
    }
    screen('done', [el('div', {'class': 'card', id: 'done'}, nodes)]);
  }

  function advance() {
    var entry = state.plan.find(function (e) { return !(e.seq in state.answers); });
    if (!entry) return finish();
    var type = S.items[entry.item].type;
    var first = state.plan.find(function (e) { return S.items[e.item].type === type; });
    var answeredOfType = state.plan.some(function (e) { return S.items[e.item].type === type && e.seq in state.answers; });
    if (!answeredOfType && !state.introSeen[type] && first.seq === entry.seq) {
      showProgress(null);
      return intro(type, function () { state.introSeen[type] = true; advance(); });
    }
    var prev = state.plan.find(function (e) { return e.seq === entry.seq - 1; });
    if (entry.kind !== 'practice' && prev && prev.kind === 'practice' && !state.introSeen['go' + entry.seq]) {
      showProgress(null);
      return practiceOver(function () { state.introSeen['go' + entry.seq] = true; advance(); });
    }
    present(entry);
  }

  function begin(rater, plan, answered) {
    state.rater = rater; state.plan = plan; state.answers = answered;
    document.getElementById('title').textContent = 'Video study · rater ' + rater;
    advance();
  }

  function askRater(problem) {
    var input = el('input', {type: 'text', id: 'rater', autocomplete: 'off', placeholder: 'e.g. r01'});
    var go = function () {
      var code = input.value.trim();
      var s = S.sessions.find(function (x) { return x.rater === code; });
      if (!s) return askRater('There is no rater "' + code + '" in this study.');
      location.hash = code;
      begin(code, s.plan, loadLocal(code));
    };
    screen('rater', [el('div', {'class': 'card', id: 'ask-rater'},
      el('h2', {text: 'Welcome'}), el('p', {text: 'Please enter the rater code you were given.'}),
      problem ? el('p', {'class': 'error', text: problem}) : null,
      el('p', {}, input, ' ', el('button', {id: 'rater-go', type: 'button', onclick: go}, 'Continue')))]);
    input.addEventListener('keydown', function (e) { if (e.key === 'Enter') go(); });
  }

  function getJSON(url, body) {
    var opts = body === undefined ? {} : {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)};
    return fetch(url, opts).then(function (r) {
      return r.json().then(function (j) { if (!r.ok) throw (j.error || ('HTTP ' + r.status)); return j; });
    }, function () { throw 'the server cannot be reached'; });
  }

  // the consent and instructions page (served with --consent): nothing starts until the rater agrees
  function consent(paragraphs, onAgree) {
    var box = el('input', {type: 'checkbox', id: 'agree'});
    var go = el('button', {id: 'consent-go', type: 'button', disabled: true, onclick: onAgree}, 'Continue');
    box.addEventListener('change', function () { go.disabled = !box.checked; });
    screen('consent', [el('div', {'class': 'card', id: 'consent'},
      el('h2', {text: 'Before you start'}), paragraphs.map(function (p) { return el('p', {text: p}); }),
      el('p', {}, el('label', {}, box, ' I have read this and agree to take part.')),
      el('div', {'class': 'actions'}, go))]);
  }

  function startServed() {
    var params = new URLSearchParams(location.search);
    state.token = params.get('t');
    var config;
    function session() {
      return getJSON('api/session?t=' + encodeURIComponent(state.token)).then(function (s) {
        var answered = {};
        s.answered.forEach(function (seq) { answered[seq] = true; });
        if (config.consent.length && !s.answered.length && !state.agreed)
          return consent(config.consent, function () { state.agreed = true; begin(s.rater, s.plan, answered); });
        begin(s.rater, s.plan, answered);
      });
    }
    function join(id) {  // the platform's id becomes the rater; the token link replaces it (a reload resumes)
      return getJSON('api/join', {id: id}).then(function (j) {
        state.token = j.t;
        history.replaceState(null, '', '?t=' + encodeURIComponent(j.t));
        return session();
      });
    }
    getJSON('api/config').then(function (c) {
      config = c;
      if (state.token) return session();
      var id = c.rater_param && params.get(c.rater_param);
      if (!id) throw 'this link has no rater token: please use the link you were given';
      return join(id);  // the consent page follows for a rater who has answered nothing yet
    }).catch(function (err) { message('The study cannot start: ' + err); });
  }

  function start() {
    if (!S) return message('The study data (page/study-data.js) is missing.');
    if (served) return startServed();
    var code = decodeURIComponent(location.hash.slice(1)) || localStorage.getItem(lastKey);
    var s = code && S.sessions.find(function (x) { return x.rater === code; });
    if (s) begin(code, s.plan, loadLocal(code)); else askRater(code && location.hash ? 'There is no rater "' + code + '" in this study.' : null);
  }

  // for the person running the study (and the tests): the state and the export
  window.msiStudy = {state: state, rows: rows, exportCSV: exportCSV};
  start();
})();
