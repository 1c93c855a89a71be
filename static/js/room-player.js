// The room player (templates/recordings/_room_player.html): every recorded track of a room on one
// timeline. A master clock drives it and each media element is kept at the clock less its start,
// since separate elements started together still drift apart (and a seek lands each elsewhere).
(function () {
  "use strict";
  var root = document.querySelector("[data-room-player]");
  var seek = root && root.querySelector("[data-seek]");
  if (!seek) {
    return;
  }
  var DRIFT = 0.1; // seconds an element may stray from the clock before it is put back
  var KEY_STEPS = { ArrowLeft: -5, ArrowDown: -5, ArrowRight: 5, ArrowUp: 5, PageDown: -30, PageUp: 30 };
  var total = parseFloat(root.dataset.total);
  var playButton = root.querySelector("[data-play]");
  var clockText = root.querySelector("[data-clock]");
  var statusText = root.querySelector("[data-status]");
  var tracks = Array.prototype.map.call(root.querySelectorAll("[data-track]"), function (el) {
    var tile = el.closest("[data-tile]");
    return {
      el: el,
      tile: tile,
      idle: tile.querySelector("[data-idle]"),
      start: parseFloat(el.dataset.start),
      duration: parseFloat(el.dataset.duration),
      participant: el.dataset.participant,
      audible: el.tagName === "AUDIO", // a video recording holds its track alone: no sound
      broken: false,
    };
  });
  var muted = new Set();
  var soloed = new Set();
  var position = 0; // the clock while it is stopped, and where it last started
  var startedAt = null; // performance.now() when the clock started; null while stopped
  var wanted = false; // Play was pressed: the clock runs once every track is ready
  var generation = 0; // every seek and pause ends the waits that began before it

  function clock() {
    if (startedAt === null) {
      return position;
    }
    return Math.min(total, position + (performance.now() - startedAt) / 1000);
  }

  // m:ss under an hour, h:mm:ss from one: how every page of the console writes durations.
  function hms(seconds) {
    var s = Math.floor(seconds);
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    var hours = Math.floor(s / 3600);
    var minutes = Math.floor(s / 60) % 60;
    return (hours ? hours + ":" + pad(minutes) : minutes) + ":" + pad(s % 60);
  }

  function end(track) {
    // The file's own length where it is known, as the API's is rounded to the second.
    var own = track.el.duration;
    return track.start + (isFinite(own) ? Math.min(own, track.duration) : track.duration);
  }

  function inSpan(track, t) {
    return !track.broken && t >= track.start && t < end(track);
  }

  // Show a track as playing at t, or its placeholder; tell whether it plays at t.
  function show(track, t) {
    var on = inSpan(track, t);
    if (!track.broken) {
      track.idle.textContent = t < track.start ? "Starts at " + hms(track.start) : "Ended";
    }
    track.idle.hidden = on;
    track.el.hidden = !on;
    track.tile.classList.toggle("idle", !on);
    return on;
  }

  function render(t) {
    seek.value = t;
    seek.setAttribute("aria-valuetext", hms(t) + " of " + hms(total));
    clockText.textContent = hms(t);
  }

  function play(el) {
    // A play() cut short by a pause or a seek rejects its promise: that is expected here.
    var started = el.play();
    if (started) {
      started.catch(function () {});
    }
  }

  function frame() {
    if (startedAt === null) {
      return;
    }
    var t = clock();
    render(t);
    tracks.forEach(function (track) {
      var el = track.el;
      if (!show(track, t)) {
        if (!el.paused) {
          el.pause();
        }
      } else if (el.paused && !el.ended) { // its start has come
        el.currentTime = t - track.start;
        play(el);
      } else if (!el.seeking && Math.abs(el.currentTime - (t - track.start)) > DRIFT) {
        el.currentTime = t - track.start;
      }
    });
    if (t >= total) {
      wanted = false;
      halt();
    } else {
      window.requestAnimationFrame(frame);
    }
  }

  // Stop the clock and every element where they are.
  function halt() {
    generation += 1;
    position = clock();
    startedAt = null;
    tracks.forEach(function (track) { track.el.pause(); });
    playButton.textContent = wanted ? "Pause" : "Play";
    statusText.textContent = "";
  }

  // Put every element at its place for t: its offset inside its span, else its start.
  function place(t) {
    position = t;
    render(t);
    tracks.forEach(function (track) {
      track.el.currentTime = show(track, t) ? t - track.start : 0;
    });
  }

  // Start the clock once every element playing at its position can play on from there.
  function resume() {
    var mine = generation;
    place(position);
    (function wait() {
      if (mine !== generation) {
        return;
      }
      var loading = tracks.filter(function (track) {
        var el = track.el;
        return inSpan(track, position) && (el.seeking || el.readyState < el.HAVE_FUTURE_DATA);
      });
      if (loading.length) {
        statusText.textContent = "Loading " + loading.length + " track" + (loading.length > 1 ? "s" : "") + "…";
        window.setTimeout(wait, 30);
        return;
      }
      statusText.textContent = "";
      startedAt = performance.now();
      tracks.forEach(function (track) {
        if (inSpan(track, position)) {
          play(track.el);
        }
      });
      window.requestAnimationFrame(frame);
    })();
  }

  function seekTo(t) {
    halt();
    position = Math.max(0, Math.min(total, t));
    if (wanted) {
      resume();
    } else {
      place(position);
    }
  }

  function hear() {
    tracks.forEach(function (track) {
      if (track.audible) {
        var who = track.participant;
        track.el.muted = muted.has(who) || (soloed.size > 0 && !soloed.has(who));
      }
    });
  }

  playButton.addEventListener("click", function () {
    wanted = !wanted;
    halt();
    if (wanted) {
      // Buffer ahead now, not on the page's load: most visits of a room page play nothing.
      tracks.forEach(function (track) { track.el.preload = "auto"; });
      if (position >= total) {
        position = 0;
      }
      resume();
    }
  });

  seek.addEventListener("input", function () { seekTo(parseFloat(seek.value)); });
  // step="any" keeps the clock's precision, which leaves the keyboard's steps to the browser.
  seek.addEventListener("keydown", function (event) {
    var step = KEY_STEPS[event.key];
    var to = event.key === "Home" ? 0 : event.key === "End" ? total : clock() + step;
    if (step !== undefined || event.key === "Home" || event.key === "End") {
      event.preventDefault();
      seekTo(to);
    }
  });

  root.addEventListener("click", function (event) {
    var button = event.target.closest("[data-mute], [data-solo]");
    if (!button) {
      return;
    }
    var set = button.hasAttribute("data-mute") ? muted : soloed;
    var who = button.getAttribute(button.hasAttribute("data-mute") ? "data-mute" : "data-solo");
    if (!set.delete(who)) {
      set.add(who);
    }
    button.setAttribute("aria-pressed", String(set.has(who)));
    hear();
  });

  tracks.forEach(function (track) {
    track.el.addEventListener("error", function () {
      track.broken = true;
      track.idle.textContent = "This track cannot be played";
      show(track, clock());
    });
  });

  root.querySelector("[data-length]").textContent = hms(total);
  place(0);
  root.querySelectorAll("button, input").forEach(function (control) { control.disabled = false; });
})();
