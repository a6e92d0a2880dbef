// The job page's transcript: the first lines (`head`) shown at once, all of them fetched once
// from `src`, drawn on demand (only those in view exist in the DOM). The line being played is
// highlighted from the player's own timeupdate events (no round trip per tick), clip ranges are
// shaded, a click (or Enter) seeks the player and keeps it in view (pinned small in a corner
// while its place is scrolled away). `found` (line numbers from the server's search) narrows
// the list; `query` is marked in it.
export default {
  template: `
    <div class="vc-transcript">
      <div v-if="failed" class="vc-note">The whole transcript could not be loaded. Reload the page to try again.</div>
      <div v-if="loaded && !failed && !lines.length" class="vc-note">No words were heard in this video.</div>
      <div v-else-if="found && !found.length" class="vc-note">No line matches.</div>
      <q-virtual-scroll v-else-if="lines.length" ref="scroll" class="vc-transcript-lines" :items="shown"
          :virtual-scroll-item-size="34" v-slot="{ item }">
        <div :key="item" class="vc-line" :data-index="item" @click="pick(item)" tabindex="0"
            role="button" @keydown.enter.prevent="pick(item)" @keydown.space.prevent="pick(item)"
            :class="{ 'vc-in-clip': inClip[item], 'vc-playing': item === active }">
          <span class="vc-time">{{ clock(lines[item][0]) }}</span>
          <span class="vc-text"><template v-for="(part, i) in parts(lines[item][2])" :key="i"
            ><mark v-if="part.hit" class="vc-hit">{{ part.text }}</mark
            ><template v-else>{{ part.text }}</template></template></span>
        </div>
      </q-virtual-scroll>
    </div>`,
  props: {
    src: String,
    head: Array,
    player: String,
    ranges: Array,
    found: Array,
    query: String,
  },
  emits: ["pick"],
  data() {
    return { lines: this.head ?? [], loaded: false, failed: false, active: -1 };
  },
  computed: {
    shown() {
      if (this.found) return this.found.filter((index) => index < this.lines.length);
      return this.lines.map((_, index) => index);
    },
    inClip() {
      const ranges = this.ranges ?? [];
      return this.lines.map(([start, end]) => ranges.some(([a, b]) => a < end && start < b));
    },
  },
  watch: {
    src() {
      this.load(null);
    },
    found() {
      // back from a search (or into one): show the line being played, if it is listed
      if (this.active >= 0) this.$nextTick(() => this.reveal(this.active, "center-force"));
    },
  },
  mounted() {
    // media events do not bubble, but they pass the document on their way down (capture)
    this.onTime = (event) => {
      if (this.player && event.target.id === this.player) this.follow(event.target.currentTime);
    };
    document.addEventListener("timeupdate", this.onTime, true);
    document.addEventListener("seeked", this.onTime, true);
    // the page's head started fetching the lines before the app was even built (transcript.py)
    const prefetched = window.vcLines?.[this.src];
    if (prefetched) delete window.vcLines[this.src];
    this.load(prefetched);
  },
  created() {
    this.pinned = null; // not reactive: DOM nodes
  },
  unmounted() {
    this.unpin();
    document.removeEventListener("timeupdate", this.onTime, true);
    document.removeEventListener("seeked", this.onTime, true);
  },
  methods: {
    async load(prefetched) {
      try {
        let lines = prefetched ? await prefetched : null;
        if (!lines) {
          await new Promise((resolve) => setTimeout(resolve, 0)); // window.path_prefix is set
          const url = (this.src.startsWith("/") ? window.path_prefix : "") + this.src;
          const response = await fetch(url, { credentials: "same-origin" });
          if (!response.ok) throw new Error(`${response.status}`);
          lines = await response.json();
        }
        this.lines = lines;
        this.failed = false;
      } catch (error) {
        this.failed = true;
      }
      this.loaded = true;
    },
    lineAt(seconds) {
      // the last line that starts at or before `seconds` (lines are in time order)
      let low = 0;
      let high = this.lines.length - 1;
      let found = -1;
      while (low <= high) {
        const middle = (low + high) >> 1;
        if (this.lines[middle][0] <= seconds + 0.05) {
          found = middle;
          low = middle + 1;
        } else {
          high = middle - 1;
        }
      }
      return found;
    },
    follow(seconds) {
      const index = this.lineAt(seconds);
      if (index === this.active) return;
      // scroll along only while the user watches the lines (the last one played is in view)
      const along = this.inView(this.active);
      this.active = index;
      if (along && index >= 0) this.reveal(index, "center");
    },
    inView(index) {
      const row = this.$el.querySelector(`[data-index="${index}"]`);
      if (!row || !this.$refs.scroll) return false;
      const box = this.$refs.scroll.$el.getBoundingClientRect();
      const line = row.getBoundingClientRect();
      return line.bottom > box.top && line.top < box.bottom;
    },
    reveal(index, edge) {
      const at = this.shown.indexOf(index);
      if (at >= 0 && this.$refs.scroll) this.$refs.scroll.scrollTo(at, edge);
    },
    pick(index) {
      const [start, end] = this.lines[index];
      this.active = index;
      this.$emit("pick", start, end);
      const video = this.player && document.getElementById(this.player);
      if (!video) return;
      video.currentTime = start;
      video.play()?.catch(() => {});
      if (this.pinned) return;
      const box = video.getBoundingClientRect();
      const seen = Math.min(box.bottom, window.innerHeight) - Math.max(box.top, 0);
      if (seen < box.height / 2) {
        this.pin(video); // far away: a small player in the corner, the lines stay in view
      } else if (seen < box.height) {
        video.scrollIntoView({ block: "nearest", behavior: "smooth" });
      }
    },
    pin(video) {
      // the card keeps its height (nothing below it moves) until the player goes back: when
      // its place is scrolled into view again, or the small player is closed
      const card = video.parentElement;
      card.style.minHeight = `${card.offsetHeight}px`;
      video.classList.add("vc-pinned");
      const close = document.createElement("button");
      close.type = "button";
      close.className = "vc-unpin";
      close.textContent = "×";
      close.title = "Close the small player";
      close.setAttribute("aria-label", close.title);
      close.onclick = () => {
        video.pause();
        this.unpin();
      };
      document.body.appendChild(close);
      const top = video.getBoundingClientRect().top;
      close.style.bottom = `${window.innerHeight - top + 4}px`;
      const observer = new IntersectionObserver(
        ([entry]) => entry.intersectionRatio >= 0.5 && this.unpin(),
        { threshold: [0.5] },
      );
      observer.observe(card);
      this.pinned = { video, card, close, observer };
    },
    unpin() {
      const pinned = this.pinned;
      if (!pinned) return;
      this.pinned = null;
      pinned.observer.disconnect();
      pinned.close.remove();
      pinned.video.classList.remove("vc-pinned");
      pinned.card.style.minHeight = "";
    },
    parts(text) {
      const query = (this.query ?? "").trim().toLowerCase();
      if (!query) return [{ text, hit: false }];
      const parts = [];
      const lower = text.toLowerCase();
      let at = 0;
      for (let hit = lower.indexOf(query); hit >= 0; hit = lower.indexOf(query, at)) {
        if (hit > at) parts.push({ text: text.slice(at, hit), hit: false });
        parts.push({ text: text.slice(hit, hit + query.length), hit: true });
        at = hit + query.length;
      }
      if (at < text.length) parts.push({ text: text.slice(at), hit: false });
      return parts;
    },
    clock(seconds) {
      const total = Math.round(seconds);
      const hours = Math.floor(total / 3600);
      const minutes = Math.floor((total % 3600) / 60);
      const secs = String(total % 60).padStart(2, "0");
      return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${secs}` : `${minutes}:${secs}`;
    },
  },
};
