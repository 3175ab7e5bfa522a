// Small inline SVG charts (bar and line) drawn from the report's chart data; no library.
import { colon } from "./i18n.js";

const NS = "http://www.w3.org/2000/svg";
const COLORS = ["#0b5cad", "#c0262d", "#18794e", "#b35c00", "#6941c6"];

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

const fmt = (v, percent) => (v === null || v === undefined ? "—" : percent ? `${Math.round(v * 1000) / 10}%` : String(Math.round(v * 10) / 10));

// chart = {type: "bar"|"line", title, labels, series: [{name, values}], stacked?, percent?}
export function renderChart(chart) {
  const width = Math.max(320, Math.min(900, 60 + chart.labels.length * (chart.type === "bar" ? 34 : 24)));
  const height = 200, left = 44, bottom = 42, top = 8, right = 8;
  const plotW = width - left - right, plotH = height - top - bottom;
  const sums = chart.labels.map((_, i) => chart.series.reduce((s, ser) => s + (ser.values[i] || 0), 0));
  const peak = chart.percent ? 1 : Math.max(1, ...(chart.stacked ? sums : chart.series.flatMap((s) => s.values.map((v) => v || 0))));
  const y = (v) => top + plotH - (v / peak) * plotH;
  const root = svg("svg", { width, height, role: "img", "aria-label": chart.title });
  for (const f of [0, 0.5, 1]) {
    root.append(svg("line", { x1: left, x2: width - right, y1: y(peak * f), y2: y(peak * f), stroke: "#d6dde4" }));
    root.append(svg("text", { x: left - 4, y: y(peak * f) + 4, "text-anchor": "end" }, fmt(peak * f, chart.percent)));
  }
  const step = plotW / Math.max(1, chart.labels.length);
  chart.labels.forEach((label, i) => {
    const x = left + step * i + step / 2;
    if (chart.labels.length <= 24 || i % Math.ceil(chart.labels.length / 24) === 0) {
      root.append(svg("text", { x, y: height - bottom + 14, "text-anchor": "end", transform: `rotate(-35 ${x} ${height - bottom + 14})` }, label.slice(0, 14)));
    }
  });
  if (chart.type === "line") {
    chart.series.forEach((ser, s) => {
      const points = ser.values.map((v, i) => (v === null ? null : [left + step * i + step / 2, y(v)])).filter(Boolean);
      root.append(svg("polyline", { points: points.map((p) => p.join(",")).join(" "), fill: "none", stroke: COLORS[s % COLORS.length], "stroke-width": 2 }));
      ser.values.forEach((v, i) => {
        if (v === null) return;
        const dot = svg("circle", { cx: left + step * i + step / 2, cy: y(v), r: 3, fill: COLORS[s % COLORS.length] });
        dot.append(svg("title", {}, `${chart.labels[i]}${colon}${fmt(v, chart.percent)}`));
        root.append(dot);
      });
    });
  } else {
    const barW = Math.min(40, Math.max(4, (step * 0.7) / (chart.stacked ? 1 : chart.series.length)));
    chart.labels.forEach((label, i) => {
      let base = 0;
      chart.series.forEach((ser, s) => {
        const v = ser.values[i] || 0;
        const x = left + step * i + (step - barW * (chart.stacked ? 1 : chart.series.length)) / 2 + (chart.stacked ? 0 : s * barW);
        const y0 = chart.stacked ? y(base + v) : y(v);
        const h = chart.stacked ? y(base) - y(base + v) : y(0) - y(v);
        const bar = svg("rect", { x, y: y0, width: barW, height: Math.max(0, h), fill: COLORS[s % COLORS.length] });
        bar.append(svg("title", {}, `${label} · ${ser.name}${colon}${fmt(ser.values[i], chart.percent)}`));
        root.append(bar);
        if (chart.stacked) base += v;
      });
    });
  }
  const box = document.createElement("figure");
  box.className = "chart";
  box.dataset.type = chart.type;
  const title = document.createElement("h4");
  title.textContent = chart.title;
  const legend = document.createElement("div");
  legend.className = "legend";
  chart.series.forEach((ser, s) => {
    const item = document.createElement("span");
    const swatch = document.createElement("i");
    swatch.style.background = COLORS[s % COLORS.length];
    item.append(swatch, ser.name);
    legend.append(item);
  });
  box.append(title, root, legend);
  return box;
}
