/**
 * Draws ferry's sample images from SVG, so that every sample is made by the project and
 * free to ship (CC0). Run: npx tsx scripts/make-samples.ts
 */
import path from 'node:path';
import sharp from 'sharp';

const outDir = path.join(import.meta.dirname, '..', 'samples');

const svg = (width: number, height: number, body: string) =>
  Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${body}</svg>`);

const cartoonHouse = svg(320, 320, `
  <rect width="320" height="320" fill="#bfe6ff"/>
  <circle cx="260" cy="60" r="34" fill="#ffd23f" stroke="#e0a800" stroke-width="6"/>
  <rect x="0" y="240" width="320" height="80" fill="#6cc24a"/>
  <rect x="80" y="150" width="150" height="110" fill="#f4a261" stroke="#333" stroke-width="6"/>
  <polygon points="65,155 155,80 245,155" fill="#e63946" stroke="#333" stroke-width="6"/>
  <rect x="135" y="200" width="40" height="60" fill="#8d5524" stroke="#333" stroke-width="5"/>
  <rect x="95" y="175" width="30" height="30" fill="#fff" stroke="#333" stroke-width="5"/>
  <rect x="190" y="175" width="30" height="30" fill="#fff" stroke="#333" stroke-width="5"/>`);

// Soft gradients and blur: closer to a photograph than flat cartoon colours.
const dunes = svg(480, 320, `
  <defs>
    <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#4a78b5"/><stop offset="1" stop-color="#d9e4ee"/></linearGradient>
    <linearGradient id="sand" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#c99a63"/><stop offset="1" stop-color="#7d5531"/></linearGradient>
    <filter id="soft"><feGaussianBlur stdDeviation="3"/></filter>
  </defs>
  <rect width="480" height="320" fill="url(#sky)"/>
  <g filter="url(#soft)">
    <path d="M0,210 C90,170 170,230 260,195 C340,165 420,200 480,185 L480,320 L0,320 Z" fill="url(#sand)"/>
    <path d="M0,260 C120,230 220,290 330,250 C400,230 450,250 480,245 L480,320 L0,320 Z" fill="#a8743f" opacity="0.85"/>
  </g>`);

const textLine = (text: string) => svg(240, 48, `
  <rect width="240" height="48" fill="#fdfdf8"/>
  <text x="10" y="34" font-size="28" font-family="DejaVu Sans, sans-serif" fill="#111">${text}</text>`);

await sharp(cartoonHouse).png().toFile(path.join(outDir, 'cartoon-house.png'));
await sharp(dunes).jpeg({ quality: 85 }).toFile(path.join(outDir, 'dunes.jpg'));
await sharp(textLine('Ferry 2026 tickets')).png().toFile(path.join(outDir, 'text-upright.png'));
await sharp(textLine('Ferry 2026 tickets')).rotate(180).webp({ quality: 90 }).toFile(path.join(outDir, 'text-upside-down.webp'));
console.log(`wrote samples to ${outDir}`);
