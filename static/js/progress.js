// Progress pages: the calendar heatmap (SVG), and the charts (uPlot, vendored) from the JSON
// the server put in the page. Every chart also has a text alternative in the HTML itself.
(function () {
  "use strict";

  const TZ_COOKIE = "mogi_tz";
  const SVG_NS = "http://www.w3.org/2000/svg";

  function readJson(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  const data = readJson("progress-data") || {};
  const labels = readJson("progress-labels") || {};

  // Days end at the browser's midnight: the server learns the offset from this cookie, so the
  // first visit (or a trip across time zones) reloads once with the right days.
  function syncTimeZone() {
    if (typeof data.tz !== "number") return false;
    const offset = -new Date().getTimezoneOffset();
    const cookie = document.cookie.split("; ").find((c) => c.startsWith(TZ_COOKIE + "="));
    document.cookie = `${TZ_COOKIE}=${offset}; path=/; max-age=31536000; samesite=lax`;
    const had = cookie ? Number(cookie.split("=")[1]) : null;
    let reloaded = "1";
    try {
      reloaded = sessionStorage.getItem("mogi_tz_reload");
      sessionStorage.setItem("mogi_tz_reload", "1");
    } catch (e) { /* storage off: never risk a reload loop */ }
    if (offset !== data.tz && had !== offset && !reloaded) {
      window.location.reload();
      return true;
    }
    return false;
  }

  function parseDay(iso) {
    const [y, m, d] = iso.split("-").map(Number);
    return new Date(y, m - 1, d);
  }

  /** "{n}회", or in English "{n|review|reviews}": the word agrees with the number. */
  function countText(n) {
    return (labels.count || "{n}")
      .replace(/\{n\|([^|}]*)\|([^}]*)\}/, (_m, one, many) => `{n} ${n === 1 ? one : many}`)
      .replace("{n}", String(n));
  }

  // --- calendar heatmap -------------------------------------------------------------------

  function level(count, max) {
    if (!count) return 0;
    return Math.min(4, Math.max(1, Math.ceil((count / max) * 4)));
  }

  function svgNode(name, attrs) {
    const node = document.createElementNS(SVG_NS, name);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
    return node;
  }

  function drawHeatmap(container, days) {
    if (!container || !days || !days.length) return;
    container.textContent = "";
    const first = parseDay(days[0][0]);
    const lead = (first.getDay() + 6) % 7; // weeks start on Monday
    const weeks = Math.ceil((lead + days.length) / 7);
    const gap = 2, left = 24, top = 16;
    // Fill a wide screen; on a narrow one keep cells tappable and let the box scroll.
    const fit = Math.floor((container.clientWidth - left) / weeks) - gap;
    const cell = Math.max(10, Math.min(16, fit || 12));
    const width = left + weeks * (cell + gap), height = top + 7 * (cell + gap);
    const max = Math.max(1, ...days.map((d) => d[1]));
    const svg = svgNode("svg", {
      viewBox: `0 0 ${width} ${height}`, width, height, class: "heatmap-svg", "aria-hidden": "true",
    });
    ["", labels.lang === "en" ? "Mon" : "월", "", labels.lang === "en" ? "Wed" : "수", "",
      labels.lang === "en" ? "Fri" : "금", ""].forEach((name, row) => {
      if (!name) return;
      const text = svgNode("text", { x: 0, y: top + row * (cell + gap) + cell - 2, class: "hm-label" });
      text.textContent = name;
      svg.appendChild(text);
    });
    let lastMonth = -1, lastLabelCol = -9;
    days.forEach(([iso, count], i) => {
      const index = lead + i, col = Math.floor(index / 7), row = index % 7;
      const day = parseDay(iso);
      // A month's name goes over the first week that starts in it, if there is room.
      if ((row === 0 || i === 0) && day.getMonth() !== lastMonth && day.getDate() <= 7) {
        lastMonth = day.getMonth();
        if (col - lastLabelCol >= 3) {
          lastLabelCol = col;
          const text = svgNode("text", { x: left + col * (cell + gap), y: 10, class: "hm-label" });
          text.textContent = (labels.months || [])[lastMonth] || String(lastMonth + 1);
          svg.appendChild(text);
        }
      }
      const rect = svgNode("rect", {
        x: left + col * (cell + gap), y: top + row * (cell + gap), width: cell, height: cell,
        rx: 2, class: `hm-cell hm-${level(count, max)}`, "data-date": iso, "data-count": count,
      });
      const title = svgNode("title", {});
      title.textContent = `${iso}: ${count ? countText(count) : labels.none || "0"}`;
      rect.appendChild(title);
      svg.appendChild(rect);
    });
    container.appendChild(svg);
    container.appendChild(legend());
    // The newest weeks are what matter: on a narrow screen, start scrolled to today.
    container.scrollLeft = container.scrollWidth;
  }

  function legend() {
    const wrap = document.createElement("div");
    wrap.className = "hm-legend";
    wrap.setAttribute("aria-hidden", "true");
    wrap.append(labels.less || "");
    for (let i = 0; i <= 4; i += 1) {
      const box = document.createElement("span");
      box.className = `hm-box hm-${i}`;
      wrap.appendChild(box);
    }
    wrap.append(labels.more || "");
    return wrap;
  }

  // --- uPlot charts -----------------------------------------------------------------------

  const charts = [];

  function cssVar(name, fallback) {
    const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  function chartSize(container) {
    const width = Math.max(240, Math.floor(container.clientWidth || 300));
    return { width, height: width < 500 ? 180 : 220 };
  }

  function axisStyle() {
    const fg = cssVar("--muted", "#5d6470"), grid = cssVar("--border", "#dde1e8");
    return { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  }

  function makeChart(container, opts, series) {
    if (!container || typeof uPlot === "undefined") return;
    container.textContent = "";
    const chart = new uPlot({ ...chartSize(container), ...opts }, series, container);
    charts.push([chart, container]);
  }

  function drawReviewsChart(container, days) {
    if (!container || !days) return;
    const recent = days.slice(-90);
    const xs = recent.map((d) => parseDay(d[0]).getTime() / 1000);
    const ys = recent.map((d) => d[1]);
    const accent = cssVar("--accent", "#2f5bd3");
    makeChart(container, {
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(4, max)] } },
      axes: [axisStyle(), { ...axisStyle(), size: 36 }],
      series: [
        {},
        {
          label: labels.reviews || "reviews", stroke: accent, fill: accent + "99",
          paths: uPlot.paths.bars({ size: [0.8, 12] }), points: { show: false },
        },
      ],
    }, [xs, ys]);
  }

  function drawRetentionChart(container, weeks) {
    if (!container || !weeks) return;
    const xs = weeks.map((w) => parseDay(w[0]).getTime() / 1000);
    const ys = weeks.map((w) => (w[2] === null ? null : Math.round(w[2] * 1000) / 10));
    const target = weeks.map(() => 90);
    makeChart(container, {
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: [0, 100] } },
      axes: [
        axisStyle(),
        { ...axisStyle(), size: 50, values: (u, vals) => vals.map((v) => v + "%") },
      ],
      series: [
        {},
        {
          label: labels.retention || "retention", stroke: cssVar("--ok", "#1c7c46"), width: 2,
          spanGaps: true, points: { show: true, size: 6 },
        },
        { label: "90%", stroke: cssVar("--muted", "#5d6470"), dash: [4, 4], width: 1, points: { show: false } },
      ],
    }, [xs, ys, target]);
  }

  function drawHistoryChart(container, reviews) {
    if (!container || !reviews || reviews.length < 2) return;
    const xs = reviews.map((r) => new Date(r[0]).getTime() / 1000);
    const ys = reviews.map((r) => (r[1] === null ? null : Math.round(r[1] * 10) / 10));
    makeChart(container, {
      legend: { show: false },
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max)] } },
      axes: [axisStyle(), { ...axisStyle(), size: 44 }],
      series: [
        {},
        {
          label: labels.interval || "interval", stroke: cssVar("--accent", "#2f5bd3"), width: 2,
          points: { show: true, size: 7 },
        },
      ],
    }, [xs, ys]);
  }

  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      charts.forEach(([chart, container]) => chart.setSize(chartSize(container)));
    }, 150);
  });

  function main() {
    if (syncTimeZone()) return;
    drawHeatmap(document.getElementById("heatmap"), data.days);
    drawReviewsChart(document.getElementById("reviews-chart"), data.days);
    drawRetentionChart(document.getElementById("retention-chart"), data.weekly);
    drawHistoryChart(document.getElementById("history-chart"), data.reviews);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", main);
  else main();
})();
