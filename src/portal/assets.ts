// The portal's only stylesheet and script, served from the gateway itself (/portal/assets/…): no external
// assets, and a CSP of 'self' without any inline code.

export const PORTAL_CSS = `
*{box-sizing:border-box}
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
header{background:#24292f;color:#fff;padding:.75rem 1rem}
header .inner,main{max-width:52rem;margin:0 auto}
header a{color:#fff}
header .org{font-weight:600}
nav ul{list-style:none;margin:.5rem 0 0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1rem}
nav a{color:#d0d7de;text-decoration:none;padding:.15rem 0;border-bottom:2px solid transparent}
nav a[aria-current=page]{color:#fff;border-bottom-color:#fff}
main{padding:1rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}
h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
.card{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:1rem;margin:0 0 1rem}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(14rem,1fr));gap:.75rem}
.grid a.card{display:block;color:inherit;text-decoration:none;margin:0}
.grid a.card:hover,.grid a.card:focus{border-color:#0969da}
a{color:#0969da}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible{outline:3px solid #0969da;outline-offset:2px}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input[type=text],input[type=url],input[type=password],select,textarea{width:100%;font:inherit;padding:.45rem .6rem;border:1px solid #8c959f;border-radius:6px;background:#fff}
textarea{min-height:6rem;font-family:ui-monospace,Menlo,monospace;font-size:.85rem}
.hint{color:#59636e;font-size:.9rem;margin:.25rem 0 0}
button,.button{display:inline-block;white-space:nowrap;font:inherit;font-weight:600;padding:.45rem 1rem;border-radius:6px;border:1px solid #1f883d;background:#1f883d;color:#fff;cursor:pointer;text-decoration:none}
button.secondary,.button.secondary{background:#f6f8fa;color:#24292f;border-color:#8c959f}
button:disabled{background:#eaeef2;border-color:#d0d7de;color:#59636e;cursor:not-allowed}
button.danger{background:#fff;color:#b3261e;border-color:#b3261e}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;margin-top:1rem;align-items:center}
form.inline{display:inline}
.error{color:#b3261e;font-weight:600}
.field-error{border-color:#b3261e!important}
.notice{border-left:4px solid #0969da;background:#ddf4ff;padding:.75rem 1rem;border-radius:6px;margin:0 0 1rem}
.notice.ok{border-color:#1f883d;background:#dafbe1}
.notice.bad{border-color:#b3261e;background:#ffebe9}
.badge{display:inline-block;white-space:nowrap;vertical-align:middle;font-size:.8rem;font-weight:600;padding:.05rem .5rem;border-radius:1rem;border:1px solid currentColor}
.badge.active,.badge.verified{color:#1a7f37}.badge.pending,.badge.unverified{color:#9a6700}.badge.disabled{color:#59636e}
.badge.ok,.badge.open{color:#1a7f37}.badge.warn,.badge.inactive,.badge.used{color:#9a6700}.badge.fail,.badge.revoked{color:#b3261e}.badge.expired,.badge.untested{color:#59636e}
.copy{display:flex;gap:.5rem;align-items:stretch;margin:.25rem 0 .5rem}
.copy input{font-family:ui-monospace,Menlo,monospace;font-size:.85rem;min-width:0;flex:1}
.copy button{flex:none;padding:.3rem .75rem}
ol.steps li{margin:.5rem 0;overflow-wrap:anywhere}
main{overflow-wrap:break-word}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #d0d7de;vertical-align:top;overflow-wrap:break-word}
.scroll{overflow-x:auto}
@media (max-width:640px){table.stack thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:auto}table.stack tr{border-bottom:1px solid #d0d7de;padding:.5rem 0}table.stack td{border:0;padding:.15rem 0}table.stack td[data-label]::before{content:attr(data-label) ": ";color:#59636e}}
code,pre{font-family:ui-monospace,Menlo,monospace;font-size:.85rem;overflow-wrap:anywhere}
pre{white-space:pre-wrap;background:#f6f8fa;padding:.5rem;border-radius:6px}
.muted{color:#59636e}
fieldset{border:1px solid #d0d7de;border-radius:6px;margin:1rem 0;padding:.5rem 1rem 1rem}
legend{font-weight:600;padding:0 .25rem}
.center{max-width:32rem;margin:3rem auto}
.card>:first-child{margin-top:0}
.card>:last-child{margin-bottom:0}
.plain{list-style:none;padding:0}
.plain button{width:100%;text-align:left}
.inline-list{display:flex;flex-wrap:wrap;gap:.25rem 1rem;margin:.25rem 0}
main nav a{color:#0969da;border:0}
.checks{display:flex;flex-wrap:wrap;gap:0 1.25rem}
label.check{display:inline-flex;align-items:center;gap:.4rem;font-weight:400;margin:.35rem 0}
label.check input{width:1.1rem;height:1.1rem}
select{width:auto;min-width:10rem}
.card h3{font-size:1rem;margin:1.25rem 0 .25rem}
.rows{list-style:none;padding:0;margin:0}
.rows>li{display:flex;flex-wrap:wrap;align-items:center;gap:.25rem .5rem;border-top:1px solid #d0d7de;padding:.5rem 0}
.rows>li:last-child{border-bottom:1px solid #d0d7de}
.rows .grow{flex:1 1 14rem;min-width:0}
`;

/** Copy buttons: <button data-copy="id-of-input">. No other behaviour depends on script. */
export const PORTAL_JS = `document.addEventListener("click",function(e){var b=e.target.closest&&e.target.closest("button[data-copy]");if(!b)return;var i=document.getElementById(b.getAttribute("data-copy"));if(!i)return;i.select();var done=function(){b.textContent="Copied";setTimeout(function(){b.textContent="Copy"},1500)};if(navigator.clipboard&&navigator.clipboard.writeText){navigator.clipboard.writeText(i.value).then(done,function(){document.execCommand("copy");done()})}else{document.execCommand("copy");done()}});`;

export const PORTAL_CSP =
  "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
