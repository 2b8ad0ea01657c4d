// The preview's live-update client: a livereload.js plugin (see site_builder/preview/reload.py).
//
// After each build the server sends which pages it wrote. A tab showing one of them
// fetches its page again and patches itself in place: new stylesheets are swapped in
// (no reload, so the page's scripts and their state live on), the body is morphed
// node by node (scroll position and focus stay), and the error overlay comes or goes.
// Anything the patch cannot do (the page's scripts changed, the fetch failed) falls
// back to a full reload. After a save, tabs go to the page being edited.
(function () {
  "use strict";

  var UPDATE_PATH = "site-builder:update";
  var OVERLAY_ID = "site-builder-errors";
  var state = window.SiteBuilderPreview || { generation: 0, page: "", navigate: true };
  var asked = 0; // the newest patch asked for; older answers are dropped

  function Plugin() {}
  Plugin.identifier = "site-builder";
  Plugin.version = "2";
  Plugin.prototype.analyze = function () {
    // The page too: after a template edit, the server renders the pages tabs show first.
    return { generation: state.generation, page: state.page };
  };
  Plugin.prototype.reload = function (path, options) {
    if (path !== UPDATE_PATH) return false;
    var update;
    try {
      update = JSON.parse(options.originalPath);
    } catch (error) {
      return false; // livereload reloads the page
    }
    handle(update);
    return true;
  };
  window.LiveReloadPluginSiteBuilder = Plugin;

  function handle(update) {
    if (state.navigate && update.edited && update.edited !== location.pathname) {
      location.assign(update.edited);
      return;
    }
    if (update.everyone || update.styles || shows(update.pages || [])) {
      patch(update);
    } else {
      state.generation = update.generation;
    }
  }

  function shows(pages) {
    var here = location.pathname.replace(/index\.html$/, "");
    return pages.indexOf(here) >= 0 || pages.indexOf(state.page) >= 0;
  }

  function patch(update) {
    var ticket = ++asked;
    fetch(location.href, { cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("text/html") !== 0) throw new Error("not a page any more");
        return response.text();
      })
      .then(function (text) {
        if (ticket !== asked) return;
        var fresh = new DOMParser().parseFromString(text, "text/html");
        if (scripts(document) !== scripts(fresh)) {
          location.reload();
          return;
        }
        patchHead(fresh, update.styles);
        patchOverlay(fresh);
        morph(document.body, fresh.body);
        var served = /window\.SiteBuilderPreview=(\{.*?\});/.exec(text);
        state.generation = served ? JSON.parse(served[1]).generation : update.generation;
      })
      .catch(function () {
        location.reload();
      });
  }

  // The page's own scripts (ours, and data such as JSON-LD, left out): a change there
  // needs a real reload.
  function scripts(doc) {
    return Array.prototype.filter
      .call(doc.querySelectorAll("script"), function (script) {
        var type = (script.getAttribute("type") || "").trim().toLowerCase();
        return !type || type === "module" || /(java|ecma)script/.test(type);
      })
      .map(function (script) {
        return script.src ? script.getAttribute("src") : script.textContent;
      })
      .filter(function (text) {
        return !/SiteBuilderPreview|site-builder-preview\.js|livereload\.js/.test(text);
      })
      .join("\n");
  }

  function patchHead(fresh, stylesChanged) {
    if (document.title !== fresh.title) document.title = fresh.title;
    var selector = 'link[rel~="stylesheet"]';
    var before = Array.prototype.slice.call(document.head.querySelectorAll(selector));
    var after = Array.prototype.slice.call(fresh.head.querySelectorAll(selector));
    var hrefs = function (links) {
      return links.map(function (link) { return link.getAttribute("href"); }).join(" ");
    };
    if (hrefs(before) !== hrefs(after) || stylesChanged) {
      swapStylesheets(before, after, hrefs(before) === hrefs(after));
    }
    var styles = document.head.querySelectorAll("style");
    var freshStyles = fresh.head.querySelectorAll("style");
    for (var i = 0; i < Math.min(styles.length, freshStyles.length); i++) {
      if (styles[i].textContent !== freshStyles[i].textContent) {
        styles[i].textContent = freshStyles[i].textContent;
      }
    }
  }

  // New stylesheets go in beside the old ones, which leave once the new ones have
  // loaded: the page is never shown unstyled.
  function swapStylesheets(before, after, sameNames) {
    var waiting = after.length;
    var done = function () {
      if (--waiting <= 0) before.forEach(function (link) { link.remove(); });
    };
    var anchor = before.length ? before[before.length - 1].nextSibling : null;
    after.forEach(function (link) {
      var copy = document.importNode(link, true);
      if (sameNames) copy.href = copy.href + (copy.href.indexOf("?") < 0 ? "?" : "&") + "v=" + Date.now();
      copy.addEventListener("load", done);
      copy.addEventListener("error", done);
      document.head.insertBefore(copy, anchor);
    });
    if (!after.length) done();
  }

  function patchOverlay(fresh) {
    var shown = document.getElementById(OVERLAY_ID);
    var wanted = fresh.getElementById(OVERLAY_ID);
    if (shown && wanted) {
      if (shown.innerHTML !== wanted.innerHTML) shown.replaceWith(document.importNode(wanted, true));
    } else if (wanted) {
      document.body.insertBefore(document.importNode(wanted, true), document.body.firstChild);
    } else if (shown) {
      shown.remove();
    }
  }

  // Morphing: nodes that are still there are kept and updated, so what the reader was
  // looking at, focus and form state stay where they were.
  function ours(node) {
    return node.nodeName === "SCRIPT" || node.id === OVERLAY_ID;
  }

  function children(element) {
    return Array.prototype.filter.call(element.childNodes, function (node) { return !ours(node); });
  }

  function alike(a, b) {
    return a.nodeType === b.nodeType && a.nodeName === b.nodeName &&
      (a.nodeType !== 1 || (a.id || "") === (b.id || ""));
  }

  function morph(from, to) {
    if (from.nodeType !== 1) {
      if (from.nodeValue !== to.nodeValue) from.nodeValue = to.nodeValue;
      return;
    }
    Array.prototype.slice.call(from.attributes).forEach(function (attribute) {
      if (!to.hasAttribute(attribute.name)) from.removeAttribute(attribute.name);
    });
    Array.prototype.forEach.call(to.attributes, function (attribute) {
      if (from.getAttribute(attribute.name) !== attribute.value) {
        from.setAttribute(attribute.name, attribute.value);
      }
    });
    var olds = children(from);
    var news = children(to);
    var i = 0;
    for (; i < news.length; i++) {
      var old = olds[i];
      if (old && alike(old, news[i])) morph(old, news[i]);
      else if (old) from.replaceChild(document.importNode(news[i], true), old);
      else from.appendChild(document.importNode(news[i], true));
    }
    for (; i < olds.length; i++) from.removeChild(olds[i]);
  }
})();
