/* alpaca-bench static explorer: the prompt-by-prompt view of one exported comparison.
 *
 * Why it is written this way:
 * - The site must work when opened straight from disk (file://), where Chrome refuses fetch()
 *   and XHR. So the data arrives as plain <script src> files that fill `window.AB_DATA`, and
 *   this script only reads that global (no fetch, no eval, nothing from the network).
 * - Every string in the data is untrusted: model outputs and judge answers may hold markup.
 *   The DOM is therefore built with createElement and textContent only, never from HTML text.
 * - Plain ES2017 in an IIFE, no modules or dependencies, so a static host needs nothing else.
 * - Filters and page live in location.hash (e.g. #page=2&outcome=tie&q=colour): a link can
 *   point at a filtered view, and back/forward move between views.
 * - A conversation (a prompt whose data lists `turns`, or outputs that are lists of answers) is
 *   shown turn by turn, each user message above the two answers to it; a single-turn prompt
 *   keeps the card it always had.
 */
(function () {
  "use strict";

  const PAGE_SIZE = 20;
  const OUTCOMES = ["candidate wins", "baseline wins", "tie", "unscored", "not judged"];
  const FLAG_CHOICES = [["", "Any"], ["flagged", "Flagged only"], ["unflagged", "Not flagged"]];
  const NO_CATEGORY = "(none)";
  const MISSING = "\u2013"; // the en dash shown for a missing value

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function str(value) {
    return value === null || value === undefined ? MISSING : String(value);
  }

  function num(value) {
    return typeof value === "number" && isFinite(value) ? value.toFixed(2) : MISSING;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function select(className, label, choices) {
    const wrap = el("label", "ab-filter");
    wrap.appendChild(el("span", "ab-filter-label", label));
    const box = el("select", className);
    box.setAttribute("aria-label", label);
    choices.forEach(function (choice) {
      const option = el("option", null, choice[1]);
      option.value = choice[0];
      box.appendChild(option);
    });
    wrap.appendChild(box);
    return { wrap: wrap, box: box };
  }

  function readHash(categories) {
    const params = new URLSearchParams(location.hash.replace(/^#/, ""));
    const page = parseInt(params.get("page") || "1", 10);
    const category = params.get("category") || "";
    const outcome = params.get("outcome") || "";
    const flags = params.get("flags") || "";
    return {
      page: page > 0 ? page : 1,
      category: categories.indexOf(category) >= 0 ? category : "",
      outcome: OUTCOMES.indexOf(outcome) >= 0 ? outcome : "",
      flags: flags === "flagged" || flags === "unflagged" ? flags : "",
      q: params.get("q") || "",
    };
  }

  function hashOf(state) {
    const params = new URLSearchParams();
    ["category", "outcome", "flags", "q"].forEach(function (key) {
      if (state[key]) params.set(key, state[key]);
    });
    if (state.page > 1) params.set("page", String(state.page));
    return params.toString();
  }

  function field(label, text, className, missing) {
    const box = el("div", "ab-field" + (className ? " " + className : ""));
    box.appendChild(el("div", "ab-label", label));
    box.appendChild(el("div", "ab-text" + (missing ? " ab-missing" : ""), text));
    return box;
  }

  function has(map, id) {
    return !!map && Object.prototype.hasOwnProperty.call(map, id) && map[id] !== null;
  }

  // Every turn's answer of one model: a conversation's outputs are a list, a single answer is text.
  function answersOf(outputs, id) {
    if (!has(outputs, id)) return null;
    const value = outputs[id];
    return Array.isArray(value) ? value.map(function (a) { return a === null ? null : String(a); })
      : [String(value)];
  }

  function answerColumn(side, label, answer, missing) {
    const column = el("div", "ab-output ab-output-" + side);
    column.appendChild(el("div", "ab-label", label));
    const known = answer !== null && answer !== undefined;
    const shown = !known ? missing : answer === "" ? "(empty)" : answer;
    column.appendChild(el("pre", "ab-pre" + (known && answer !== "" ? "" : " ab-missing"), shown));
    return column;
  }

  function answerColumns(data, row, turn, missing) {
    const outputs = el("div", "ab-outputs");
    const pick = function (answers) { return answers && turn < answers.length ? answers[turn] : null; };
    outputs.appendChild(answerColumn("baseline", "Baseline: " + str(data.baseline),
      pick(row.baselineAnswers), row.baselineAnswers ? missing : "(no output)"));
    outputs.appendChild(answerColumn("candidate", "Candidate: " + str(data.candidate),
      pick(row.candidateAnswers), row.candidateAnswers ? missing : "(no output)"));
    return outputs;
  }

  // The user messages and references of a conversation's turns, as many as the prompt or either
  // model has (a turn the prompt data lacks reads "prompt text not available").
  function turnsOf(row) {
    const listed = row.prompt && Array.isArray(row.prompt.turns) ? row.prompt.turns : [];
    const count = Math.max(listed.length, (row.baselineAnswers || []).length,
      (row.candidateAnswers || []).length);
    const turns = [];
    for (let k = 0; k < count; k++) {
      const turn = listed[k] || {};
      turns.push({ message: typeof turn.message === "string" ? turn.message : null,
        reference: turn.reference ? String(turn.reference) : "" });
    }
    return turns;
  }

  function conversation(node, data, row) {
    row.turns.forEach(function (turn, k) {
      const section = node.appendChild(el("section", "ab-turn"));
      section.dataset.turn = String(k + 1);
      section.appendChild(el("h3", "ab-turn-label", "Turn " + (k + 1)));
      if (turn.message === null) {
        section.appendChild(field("User message", "(prompt text not available)", "ab-user", true));
      } else {
        section.appendChild(field("User message", turn.message, "ab-user"));
      }
      if (turn.reference) section.appendChild(field("Reference answer", turn.reference, "ab-reference"));
      section.appendChild(answerColumns(data, row, k, "(no answer to this turn)"));
    });
  }

  function verdictLine(judge, verdict, index, count) {
    const box = el("div", "ab-verdict");
    const who = "Judge " + str(judge) + (count > 1 ? " (order " + (index + 1) + ")" : "");
    const parts = [who + ": " + str(verdict.verdict), "shown first: " + str(verdict.first_shown),
      "candidate preference " + num(verdict.preference)];
    if (verdict.both_bad) parts.push("both bad");
    box.appendChild(el("div", "ab-verdict-line", parts.join(" \u00b7 ")));
    if (verdict.raw) {
      const details = el("details", "ab-raw");
      details.appendChild(el("summary", null, "Raw judge answer"));
      details.appendChild(el("pre", "ab-pre", String(verdict.raw)));
      box.appendChild(details);
    }
    return box;
  }

  function humanTable(ratings) {
    const box = el("div", "ab-field ab-human");
    box.appendChild(el("div", "ab-label", "Human ratings (" + ratings.length + ")"));
    const scroll = el("div", "ab-table-wrap");
    const table = el("table", "ab-table");
    const head = el("tr");
    ["Rater", "Verdict", "Shown first", "Candidate preference", "Both bad"].forEach(function (name) {
      head.appendChild(el("th", null, name));
    });
    table.appendChild(el("thead")).appendChild(head);
    const body = table.appendChild(el("tbody"));
    ratings.forEach(function (r) {
      const row = body.appendChild(el("tr"));
      [str(r.rater), str(r.verdict), str(r.first_shown), num(r.preference), r.both_bad ? "yes" : "no"]
        .forEach(function (cell) { row.appendChild(el("td", null, cell)); });
    });
    scroll.appendChild(table);
    box.appendChild(scroll);
    return box;
  }

  function card(data, row) {
    const node = el("article", "ab-card");
    node.dataset.promptId = row.id;
    const outcomeClass = "ab-outcome ab-outcome-" + row.outcome.replace(/[^a-z]+/g, "-");
    const head = node.appendChild(el("div", "ab-card-head"));
    head.appendChild(el("span", "ab-id", row.id));
    head.appendChild(document.createTextNode(" \u00b7 " + row.category + " \u00b7 "));
    head.appendChild(el("span", outcomeClass, row.outcome));
    if (typeof row.preference === "number" && isFinite(row.preference)) {
      head.appendChild(document.createTextNode(" \u00b7 mean preference " + num(row.preference)));
    }
    const prompt = row.prompt;
    if (row.turns.length > 1) {
      node.classList.add("ab-conversation");
      conversation(node, data, row);
    } else {
      if (!prompt) {
        node.appendChild(field("Instruction", "(prompt text not available)", null, true));
      } else {
        node.appendChild(field("Instruction", str(prompt.instruction)));
        if (prompt.input) node.appendChild(field("Input", String(prompt.input), "ab-input"));
        if (prompt.reference) node.appendChild(field("Reference answer", String(prompt.reference), "ab-reference"));
      }
      node.appendChild(answerColumns(data, row, 0, "(no output)"));
    }
    const verdicts = node.appendChild(el("div", "ab-verdicts"));
    const list = Array.isArray(row.verdicts) ? row.verdicts : [];
    if (!list.length) verdicts.appendChild(el("div", "ab-not-judged", "not judged"));
    list.forEach(function (v, i) { verdicts.appendChild(verdictLine(data.judge, v, i, list.length)); });
    if (Array.isArray(row.human) && row.human.length) node.appendChild(humanTable(row.human));
    if (Array.isArray(row.flags) && row.flags.length) {
      const flags = node.appendChild(el("ul", "ab-flags"));
      row.flags.forEach(function (flag) { flags.appendChild(el("li", "ab-flag", "\u26a0 " + str(flag))); });
    }
    return node;
  }

  function prepare(comparison, all) {
    const prompts = (all.prompts || {})[comparison.eval_set] || {};
    const outputs = all.outputs || {};
    // the export names each side's outputs file (one per model and generation config);
    // without that, outputs are keyed "eval set/model"
    const named = comparison.outputs || {};
    const data = {
      baseline: comparison.baseline, candidate: comparison.candidate, judge: comparison.judge,
      baselineOutputs: outputs[named.baseline || comparison.eval_set + "/" + comparison.baseline],
      candidateOutputs: outputs[named.candidate || comparison.eval_set + "/" + comparison.candidate],
    };
    const rows = (Array.isArray(comparison.rows) ? comparison.rows : []).map(function (raw) {
      const id = str(raw.id);
      const prompt = Object.prototype.hasOwnProperty.call(prompts, id) ? prompts[id] : null;
      const row = Object.assign({}, raw, {
        id: id, prompt: prompt, outcome: str(raw.outcome),
        category: (prompt && prompt.category) ? String(prompt.category) : NO_CATEGORY,
        flagged: Array.isArray(raw.flags) && raw.flags.length > 0,
        baselineAnswers: answersOf(data.baselineOutputs, id),
        candidateAnswers: answersOf(data.candidateOutputs, id),
      });
      row.turns = turnsOf(row);
      row.haystack = [id, prompt ? prompt.instruction : "", prompt ? prompt.input : ""]
        .concat(row.turns.slice(1).map(function (t) { return t.message; }),
          row.baselineAnswers || [], row.candidateAnswers || [])
        .map(function (s) { return s ? String(s) : ""; }).join("\n").toLowerCase();
      return row;
    });
    data.rows = rows;
    data.categories = Array.from(new Set(rows.map(function (r) { return r.category; }))).sort();
    return data;
  }

  function matches(row, state) {
    const needle = state.q.trim().toLowerCase();
    return (!state.category || row.category === state.category)
      && (!state.outcome || row.outcome === state.outcome)
      && (!state.flags || row.flagged === (state.flags === "flagged"))
      && (!needle || row.haystack.indexOf(needle) >= 0);
  }

  function start(container) {
    container.classList.add("ab-explorer");
    const key = container.dataset.comparison || "";
    const all = window.AB_DATA || {};
    const comparison = (all.comparisons || {})[key];
    if (!comparison) {
      container.appendChild(el("p", "ab-error", "This comparison's data did not load: \u201c" + key
        + "\u201d (its data/comparisons/ script is missing or failed to run)."));
      return;
    }
    const data = prepare(comparison, all);
    const filters = container.appendChild(el("div", "ab-filters"));
    const category = select("ab-filter-category", "Category",
      [["", "All categories"]].concat(data.categories.map(function (c) { return [c, c]; })));
    const outcome = select("ab-filter-outcome", "Outcome",
      [["", "All outcomes"]].concat(OUTCOMES.map(function (o) { return [o, o]; })));
    const flags = select("ab-filter-flags", "Gaming flags", FLAG_CHOICES);
    const searchWrap = el("label", "ab-filter ab-filter-search");
    searchWrap.appendChild(el("span", "ab-filter-label", "Search"));
    const search = searchWrap.appendChild(el("input", "ab-search"));
    search.type = "search";
    search.placeholder = "id, instruction, input or output";
    search.setAttribute("aria-label", "Search");
    [category.wrap, outcome.wrap, flags.wrap, searchWrap].forEach(function (w) { filters.appendChild(w); });
    const count = container.appendChild(el("div", "ab-count"));
    const pager = container.appendChild(el("div", "ab-pager"));
    const prev = pager.appendChild(el("button", "ab-prev", "Previous"));
    const pageLabel = pager.appendChild(el("span", "ab-page"));
    const next = pager.appendChild(el("button", "ab-next", "Next"));
    prev.type = next.type = "button";
    const list = container.appendChild(el("div", "ab-cards"));
    let state = readHash(data.categories);
    let shownHash = null;

    function syncControls() {
      category.box.value = state.category;
      outcome.box.value = state.outcome;
      flags.box.value = state.flags;
      if (search.value !== state.q) search.value = state.q;
    }

    function render() {
      const found = data.rows.filter(function (row) { return matches(row, state); });
      const pages = Math.max(1, Math.ceil(found.length / PAGE_SIZE));
      state.page = Math.min(Math.max(1, state.page), pages);
      count.textContent = found.length + " of " + data.rows.length + " prompts match";
      pageLabel.textContent = "Page " + state.page + " of " + pages;
      prev.disabled = state.page <= 1;
      next.disabled = state.page >= pages;
      clear(list);
      if (!found.length) list.appendChild(el("p", "ab-empty", "No prompt matches these filters."));
      found.slice((state.page - 1) * PAGE_SIZE, state.page * PAGE_SIZE)
        .forEach(function (row) { list.appendChild(card(data, row)); });
      shownHash = hashOf(state);
      if (location.hash.replace(/^#/, "") !== shownHash) {
        try {
          history.replaceState(history.state, "", shownHash ? "#" + shownHash : location.pathname + location.search);
        } catch (err) {
          location.replace("#" + shownHash);
        }
      }
    }

    function update(change, keepHistory) {
      const before = hashOf(state);
      state = Object.assign({}, state, change);
      const after = hashOf(state);
      if (keepHistory && after !== before) {
        shownHash = after;
        location.hash = after; // a new history entry, so Back returns to the previous view
      }
      render();
    }

    category.box.addEventListener("change", function () { update({ category: category.box.value, page: 1 }, true); });
    outcome.box.addEventListener("change", function () { update({ outcome: outcome.box.value, page: 1 }, true); });
    flags.box.addEventListener("change", function () { update({ flags: flags.box.value, page: 1 }, true); });
    search.addEventListener("input", function () { update({ q: search.value, page: 1 }, false); });
    function turn(step) {
      update({ page: state.page + step }, true);
      if (container.getBoundingClientRect().top < 0) container.scrollIntoView();
    }
    prev.addEventListener("click", function () { turn(-1); });
    next.addEventListener("click", function () { turn(1); });
    window.addEventListener("hashchange", function () {
      if (location.hash.replace(/^#/, "") === shownHash) return;
      state = readHash(data.categories);
      syncControls();
      render();
    });
    syncControls();
    render();
  }

  const container = document.getElementById("ab-explorer");
  if (container) start(container);
})();
