/* Mogi demo inference: the trained model's forward pass, in the browser.
 *
 * The worker exports a run's weights as JSON (result.inference): a list of layers, each with an
 * `op` and its weights as base64 little-endian float32. This file runs that list on one 28x28
 * image, so drawing a digit never asks the server (which has no torch) for anything.
 * It also turns a drawing into an MNIST-like image: ink in a 20x20 box, centre of mass centred.
 *
 * Exposed as window.MogiInfer (and module.exports under Node).
 */
(function (root) {
  "use strict";

  // ---- decoding ---------------------------------------------------------------------------

  function decodeBase64(b64) {
    if (typeof atob === "function") {
      const bin = atob(b64);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      return bytes;
    }
    return new Uint8Array(Buffer.from(b64, "base64")); // Node
  }

  /** base64 of little-endian float32 -> Float32Array (copied, so any alignment works). */
  function decodeF32(b64) {
    const bytes = decodeBase64(b64);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out = new Float32Array(bytes.byteLength / 4);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
    return out;
  }

  /** A weight as exported: a base64 string, {data|b64, shape}, or a (nested) number array. */
  function tensorData(value) {
    if (value === null || value === undefined) return null;
    if (typeof value === "string") return decodeF32(value);
    if (Array.isArray(value)) return Float32Array.from(value.flat(Infinity));
    const inner = value.data !== undefined ? value.data : value.b64;
    return tensorData(inner);
  }

  function pick(obj, names, fallback) {
    for (const n of names) if (obj[n] !== undefined && obj[n] !== null) return obj[n];
    return fallback;
  }

  function pair(v) {
    return Array.isArray(v) ? [v[0], v.length > 1 ? v[1] : v[0]] : [v, v];
  }

  function opName(layer) {
    return String(pick(layer, ["op", "type", "kind"], "")).toLowerCase().replace(/[\s-]/g, "_");
  }

  // ---- model ------------------------------------------------------------------------------

  /** Decode every weight once; returns {layers, inputScale, inputShift, inputShape}.
   *
   * The network's input is x = p * inputScale + inputShift for a pixel p in [0, 1] (ink = 1);
   * the export states it as {"scale", "shift"} per 0-255 pixel, or as a {"mean", "std"}.
   */
  function loadModel(inference) {
    const layers = pick(inference, ["layers", "ops", "modules"], []).map(prepareLayer);
    const norm = normalisation(inference);
    const inputShape = pick(inference, ["input_shape"], null)
      || (inference.input && inference.input.shape) || [1, 28, 28];
    return { layers: layers, inputScale: norm.scale, inputShift: norm.shift, inputShape: inputShape };
  }

  function normalisation(inference) {
    const src = inference.input || inference.normalize || inference.normalization
      || inference.preprocess || inference;
    if (src.scale !== undefined || src.shift !== undefined) {
      // per 0-255 pixel: x = pixel * scale + shift
      return { scale: 255 * Number(pick(src, ["scale"], 1 / 255)), shift: Number(pick(src, ["shift"], 0)) };
    }
    let mean = pick(src, ["mean"], 0);
    let std = pick(src, ["std"], 1);
    if (Array.isArray(mean)) mean = mean[0];
    if (Array.isArray(std)) std = std[0];
    std = Number(std) || 1;
    return { scale: 1 / std, shift: -Number(mean) / std };
  }

  function prepareLayer(layer) {
    const prepared = Object.assign({}, layer, { op: opName(layer) });
    for (const key of ["weight", "bias", "running_mean", "running_var", "mean", "var", "scale",
      "shift"]) {
      if (layer[key] !== undefined) prepared[key] = tensorData(layer[key]);
    }
    return prepared;
  }

  // ---- ops (batch of one; a tensor is {shape: [C,H,W] | [N], data: Float64Array}) -----------

  function linear(layer, x) {
    const w = layer.weight;
    const inF = x.data.length;
    const outF = pick(layer, ["out_features", "out"], w.length / inF);
    if (w.length !== inF * outF) throw new Error("linear: weight " + w.length + " != " + outF + "x" + inF);
    const out = new Float64Array(outF);
    for (let o = 0; o < outF; o++) {
      let s = layer.bias ? layer.bias[o] : 0;
      const row = o * inF;
      for (let i = 0; i < inF; i++) s += w[row + i] * x.data[i];
      out[o] = s;
    }
    return { shape: [outF], data: out };
  }

  function conv2d(layer, x) {
    const [cin, h, wd] = x.shape;
    const cout = pick(layer, ["out_channels", "out"], null);
    const [kh, kw] = pair(pick(layer, ["kernel_size", "kernel"], 3));
    const [sh, sw] = pair(pick(layer, ["stride"], 1));
    const [ph, pw] = pair(pick(layer, ["padding", "pad"], 0));
    const [dh, dw] = pair(pick(layer, ["dilation"], 1));
    const groups = pick(layer, ["groups"], 1);
    const co = cout || layer.weight.length / ((cin / groups) * kh * kw);
    const cinG = cin / groups;
    const coutG = co / groups;
    const oh = Math.floor((h + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
    const ow = Math.floor((wd + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
    const out = new Float64Array(co * oh * ow);
    const w = layer.weight;
    for (let o = 0; o < co; o++) {
      const g = Math.floor(o / coutG);
      const b = layer.bias ? layer.bias[o] : 0;
      for (let y = 0; y < oh; y++) {
        for (let xo = 0; xo < ow; xo++) {
          let s = b;
          for (let ci = 0; ci < cinG; ci++) {
            const c = g * cinG + ci;
            const wBase = ((o * cinG + ci) * kh) * kw;
            const xBase = c * h * wd;
            for (let ky = 0; ky < kh; ky++) {
              const iy = y * sh - ph + ky * dh;
              if (iy < 0 || iy >= h) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ix = xo * sw - pw + kx * dw;
                if (ix < 0 || ix >= wd) continue;
                s += w[wBase + ky * kw + kx] * x.data[xBase + iy * wd + ix];
              }
            }
          }
          out[(o * oh + y) * ow + xo] = s;
        }
      }
    }
    return { shape: [co, oh, ow], data: out };
  }

  function pool2d(layer, x, reduce) {
    const [c, h, w] = x.shape;
    const [kh, kw] = pair(pick(layer, ["kernel_size", "kernel"], 2));
    const [sh, sw] = pair(pick(layer, ["stride"], null) || [kh, kw]);
    const [ph, pw] = pair(pick(layer, ["padding", "pad"], 0));
    const oh = Math.floor((h + 2 * ph - kh) / sh) + 1;
    const ow = Math.floor((w + 2 * pw - kw) / sw) + 1;
    const out = new Float64Array(c * oh * ow);
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < oh; y++) {
        for (let xo = 0; xo < ow; xo++) {
          let best = -Infinity;
          let sum = 0;
          for (let ky = 0; ky < kh; ky++) {
            const iy = y * sh - ph + ky;
            for (let kx = 0; kx < kw; kx++) {
              const ix = xo * sw - pw + kx;
              // torch's avg pool counts padding as zeros (count_include_pad=True)
              const v = iy < 0 || iy >= h || ix < 0 || ix >= w ? (reduce === "max" ? -Infinity : 0)
                : x.data[(ch * h + iy) * w + ix];
              if (v > best) best = v;
              sum += v;
            }
          }
          out[(ch * oh + y) * ow + xo] = reduce === "max" ? best : sum / (kh * kw);
        }
      }
    }
    return { shape: [c, oh, ow], data: out };
  }

  function adaptiveAvgPool(layer, x) {
    const [c, h, w] = x.shape;
    const [oh, ow] = pair(pick(layer, ["output_size"], 1));
    const out = new Float64Array(c * oh * ow);
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < oh; y++) {
        const y0 = Math.floor((y * h) / oh);
        const y1 = Math.ceil(((y + 1) * h) / oh);
        for (let xo = 0; xo < ow; xo++) {
          const x0 = Math.floor((xo * w) / ow);
          const x1 = Math.ceil(((xo + 1) * w) / ow);
          let sum = 0;
          for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) sum += x.data[(ch * h + iy) * w + ix];
          out[(ch * oh + y) * ow + xo] = sum / ((y1 - y0) * (x1 - x0));
        }
      }
    }
    return { shape: [c, oh, ow], data: out };
  }

  function batchnorm(layer, x) {
    const c = x.shape[0];
    const per = x.data.length / c;
    const eps = pick(layer, ["eps"], 1e-5);
    const mean = layer.running_mean || layer.mean;
    const variance = layer.running_var || layer.var;
    const out = new Float64Array(x.data.length);
    for (let ch = 0; ch < c; ch++) {
      let scale;
      let shift;
      if (layer.scale && layer.shift) {
        scale = layer.scale[ch];
        shift = layer.shift[ch];
      } else {
        const g = layer.weight ? layer.weight[ch] : 1;
        const b = layer.bias ? layer.bias[ch] : 0;
        scale = g / Math.sqrt(variance[ch] + eps);
        shift = b - mean[ch] * scale;
      }
      for (let i = 0; i < per; i++) out[ch * per + i] = x.data[ch * per + i] * scale + shift;
    }
    return { shape: x.shape, data: out };
  }

  function map(x, fn) {
    const out = new Float64Array(x.data.length);
    for (let i = 0; i < out.length; i++) out[i] = fn(x.data[i]);
    return { shape: x.shape, data: out };
  }

  function softmaxArray(values) {
    let max = -Infinity;
    for (const v of values) if (v > max) max = v;
    const exps = Array.from(values, (v) => Math.exp(v - max));
    const sum = exps.reduce((a, b) => a + b, 0);
    return exps.map((e) => e / sum);
  }

  const SIMPLE = {
    relu: (v) => (v > 0 ? v : 0),
    sigmoid: (v) => 1 / (1 + Math.exp(-v)),
    tanh: Math.tanh,
    gelu: (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)),
    silu: (v) => v / (1 + Math.exp(-v)),
    identity: (v) => v,
  };

  // Abramowitz-Stegun 7.1.26; good to ~1e-7, enough for a probability display.
  function erf(x) {
    const s = x < 0 ? -1 : 1;
    const a = Math.abs(x);
    const t = 1 / (1 + 0.3275911 * a);
    const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t
      + 0.254829592) * t * Math.exp(-a * a);
    return s * y;
  }

  const SKIPPED = new Set(["dropout", "dropout2d", "identity", "noop"]);

  function applyLayer(layer, x) {
    const op = layer.op;
    if (SKIPPED.has(op)) return x;
    if (SIMPLE[op]) return map(x, SIMPLE[op]);
    switch (op) {
      case "linear": case "dense": case "fc":
        return linear(layer, x);
      case "conv2d": case "conv":
        return conv2d(layer, x);
      case "maxpool2d": case "max_pool2d": case "maxpool":
        return pool2d(layer, x, "max");
      case "avgpool2d": case "avg_pool2d": case "avgpool":
        return pool2d(layer, x, "avg");
      case "adaptive_avgpool2d": case "adaptiveavgpool2d": case "adaptive_avg_pool2d":
        return adaptiveAvgPool(layer, x);
      case "flatten": case "reshape": case "view":
        return { shape: [x.data.length], data: x.data };
      case "batchnorm1d": case "batchnorm2d": case "batchnorm": case "batch_norm":
        return batchnorm(layer, x);
      case "leaky_relu": case "leakyrelu": {
        const slope = pick(layer, ["negative_slope", "slope", "alpha"], 0.01);
        return map(x, (v) => (v > 0 ? v : v * slope));
      }
      case "elu": {
        const alpha = pick(layer, ["alpha"], 1);
        return map(x, (v) => (v > 0 ? v : alpha * (Math.exp(v) - 1)));
      }
      case "softmax":
        return { shape: x.shape, data: Float64Array.from(softmaxArray(x.data)), probabilities: true };
      case "log_softmax": case "logsoftmax":
        return { shape: x.shape, data: Float64Array.from(softmaxArray(x.data).map(Math.log)), logProbabilities: true };
      default:
        throw new Error("demo-infer: unsupported layer op '" + op + "'");
    }
  }

  /** Raw network output for a normalised [1,28,28] input (Float32Array/Array of 784). */
  function run(model, input) {
    let x = { shape: model.inputShape.slice(-3), data: Float64Array.from(input) };
    for (const layer of model.layers) x = applyLayer(layer, x);
    return x;
  }

  /** The 10 class probabilities for pixels in [0, 1] (784 values, row-major, ink = 1). */
  function predict(model, pixels01) {
    const input = new Float64Array(pixels01.length);
    for (let i = 0; i < input.length; i++) input[i] = pixels01[i] * model.inputScale + model.inputShift;
    const out = run(model, input);
    if (out.probabilities) return Array.from(out.data);
    if (out.logProbabilities) return Array.from(out.data, Math.exp);
    return softmaxArray(out.data);
  }

  /** MNIST sample pixels (base64 of 784 uint8) -> Float64Array in [0, 1]. */
  function samplePixels(b64) {
    const bytes = decodeBase64(b64);
    return Float64Array.from(bytes, (b) => b / 255);
  }

  // ---- drawing -> MNIST-like 28x28 ----------------------------------------------------------

  /** ink: Float64Array(width*height) in [0,1]. Returns 784 values in [0,1], or null if empty.
   *
   * Like MNIST's own preprocessing: the ink's bounding box is scaled (area-averaged, aspect kept)
   * to fit 20x20, then placed in 28x28 so that its centre of mass is at the centre.
   */
  function toMnist(ink, width, height) {
    let x0 = width, y0 = height, x1 = -1, y1 = -1;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (ink[y * width + x] > 0.05) {
          if (x < x0) x0 = x;
          if (x > x1) x1 = x;
          if (y < y0) y0 = y;
          if (y > y1) y1 = y;
        }
      }
    }
    if (x1 < 0) return null;
    const bw = x1 - x0 + 1;
    const bh = y1 - y0 + 1;
    const scale = 20 / Math.max(bw, bh);
    const tw = Math.max(1, Math.round(bw * scale));
    const th = Math.max(1, Math.round(bh * scale));
    const box = areaResample(ink, width, x0, y0, bw, bh, tw, th);
    // centre of mass of the scaled box
    let mass = 0, cx = 0, cy = 0;
    for (let y = 0; y < th; y++) {
      for (let x = 0; x < tw; x++) {
        const v = box[y * tw + x];
        mass += v; cx += v * x; cy += v * y;
      }
    }
    cx = mass > 0 ? cx / mass : (tw - 1) / 2;
    cy = mass > 0 ? cy / mass : (th - 1) / 2;
    const offX = Math.round(13.5 - cx);
    const offY = Math.round(13.5 - cy);
    const out = new Float64Array(784);
    for (let y = 0; y < th; y++) {
      const ty = y + offY;
      if (ty < 0 || ty >= 28) continue;
      for (let x = 0; x < tw; x++) {
        const tx = x + offX;
        if (tx < 0 || tx >= 28) continue;
        out[ty * 28 + tx] = Math.min(1, box[y * tw + x]);
      }
    }
    return out;
  }

  // Each target pixel averages the source area it covers (a box filter), as a scanner would.
  function areaResample(src, stride, x0, y0, bw, bh, tw, th) {
    const out = new Float64Array(tw * th);
    const fx = bw / tw;
    const fy = bh / th;
    for (let ty = 0; ty < th; ty++) {
      const sy0 = ty * fy;
      const sy1 = sy0 + fy;
      for (let tx = 0; tx < tw; tx++) {
        const sx0 = tx * fx;
        const sx1 = sx0 + fx;
        let sum = 0;
        for (let sy = Math.floor(sy0); sy < Math.ceil(sy1); sy++) {
          const wy = Math.min(sy + 1, sy1) - Math.max(sy, sy0);
          for (let sx = Math.floor(sx0); sx < Math.ceil(sx1); sx++) {
            const wx = Math.min(sx + 1, sx1) - Math.max(sx, sx0);
            sum += wy * wx * src[(y0 + sy) * stride + x0 + sx];
          }
        }
        out[ty * tw + tx] = sum / (fx * fy);
      }
    }
    return out;
  }

  /** A canvas's alpha channel as ink in [0,1] (strokes are drawn opaque on a clear canvas). */
  function inkFromImageData(imageData) {
    const { data, width, height } = imageData;
    const ink = new Float64Array(width * height);
    for (let i = 0; i < ink.length; i++) ink[i] = data[i * 4 + 3] / 255;
    return ink;
  }

  /** Paint 784 values in [0,1] (or a base64 uint8 sample) into a 28x28 canvas: ink dark. */
  function paintDigit(canvas, pixels01) {
    canvas.width = 28;
    canvas.height = 28;
    const ctx = canvas.getContext("2d");
    const img = ctx.createImageData(28, 28);
    for (let i = 0; i < 784; i++) {
      const v = 255 - Math.round(255 * Math.max(0, Math.min(1, pixels01[i])));
      img.data[i * 4] = v;
      img.data[i * 4 + 1] = v;
      img.data[i * 4 + 2] = v;
      img.data[i * 4 + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }

  const api = {
    decodeF32: decodeF32,
    loadModel: loadModel,
    run: run,
    predict: predict,
    samplePixels: samplePixels,
    toMnist: toMnist,
    inkFromImageData: inkFromImageData,
    paintDigit: paintDigit,
    softmax: softmaxArray,
  };
  root.MogiInfer = api;
  if (typeof module === "object" && module.exports) module.exports = api;
})(typeof window !== "undefined" ? window : globalThis);
