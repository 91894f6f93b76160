// Progressive enhancement only: every page works without this file. Served from 'self' under a
// CSP with no inline script (SECURITY.md promise 24). Each enhancement looks for its own markup.
;(() => {
  // Passphrase strength meter: <input data-strength="meterId">.
  for (const input of document.querySelectorAll('input[data-strength]')) {
    const meter = document.getElementById(input.dataset.strength)
    if (!meter) continue
    const bar = meter.querySelector('span')
    const label = document.getElementById(`${input.dataset.strength}-label`)
    const update = () => {
      const score = strength(input.value)
      if (bar) bar.style.width = `${score * 25}%`
      if (label) label.textContent = ['Too weak', 'Weak', 'Fair', 'Good', 'Strong'][score]
    }
    input.addEventListener('input', update)
    update()
  }
  // A rough guide while typing, no more: the server decides with the vault's policy (at least 14
  // characters and a zxcvbn score of 3, packages/vault/src/keys/passphrase-policy.ts) and says
  // why it refuses. Shipping zxcvbn's dictionaries to every page is not worth an exact meter.
  function strength(p) {
    const chars = Array.from(p)
    if (chars.length < 8) return 0
    const distinct = new Set(chars.map((c) => c.toLowerCase())).size
    const words = p
      .trim()
      .split(/[\s.,;:_-]+/)
      .filter((w) => w.length >= 2).length
    const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(p)).length
    // Neighbouring characters one apart or equal ("abcd", "1234", "aaaa") add almost nothing.
    let steps = 0
    for (let i = 1; i < chars.length; i++)
      if (Math.abs(chars[i].codePointAt(0) - chars[i - 1].codePointAt(0)) <= 1) steps++
    let score = chars.length >= 20 ? 3 : chars.length >= 14 ? 2 : 1
    if (words >= 3 || (classes >= 3 && distinct >= 10)) score++
    if (distinct < 8 || steps * 2 >= chars.length) score = Math.min(score, 1)
    if (chars.length < 14) score = Math.min(score, 2)
    return Math.min(4, score)
  }
  // Live progress: <progress data-poll="/url"> reloads the page until the job is done.
  const poll = document.querySelector('[data-poll-reload]')
  if (poll)
    setTimeout(() => location.reload(), Number(poll.getAttribute('data-poll-reload')) || 1500)
  // Idle sign-out: the server ends the session 15 minutes after this browser's last request, so
  // the page leaves for the sign-in page then, taking the owner's data off the screen. Typing or
  // scrolling sends no request and restarts nothing: the deadline is fixed when the page loads.
  // Timers stand still while a computer sleeps, so the clock is checked again on coming back.
  const idle = document.body.dataset.signedIn === 'true' ? 15 * 60 * 1000 : 0
  if (idle) {
    const deadline = Date.now() + idle + 5000
    const check = () => {
      if (Date.now() >= deadline) location.assign('/signin?idle=1')
    }
    setTimeout(check, idle + 5000)
    for (const e of ['focus', 'pageshow', 'visibilitychange', 'keydown', 'pointerdown'])
      addEventListener(e, check, { passive: true })
  }
  // Confirmations for destructive buttons: <button data-confirm="text">.
  for (const b of document.querySelectorAll('button[data-confirm]')) {
    b.addEventListener('click', (e) => {
      if (!confirm(b.dataset.confirm)) e.preventDefault()
    })
  }
  // Copy an element's text: <button data-copy="elementId" data-copied="Copied" hidden>. Hidden in
  // the markup, so a page without this script offers no button that does nothing.
  for (const b of document.querySelectorAll('button[data-copy]')) {
    const source = document.getElementById(b.dataset.copy)
    if (!source || !navigator.clipboard) continue
    b.hidden = false
    const label = b.textContent
    b.addEventListener('click', () => {
      navigator.clipboard.writeText(source.textContent.trim()).then(
        () => (b.textContent = b.dataset.copied || label),
        () => (b.textContent = label),
      )
    })
  }
  // Print the page: <button data-print hidden>.
  for (const b of document.querySelectorAll('button[data-print]')) {
    b.hidden = false
    b.addEventListener('click', () => print())
  }
  // Upload progress: <form data-upload-progress> with a hidden <progress> inside. The form goes
  // by XMLHttpRequest, whose upload events fill the bar (fetch reports no upload progress), and
  // the answer replaces the page as the form's own submission would have. Without this script
  // the form posts as it is and the bar stays hidden.
  for (const f of document.querySelectorAll('form[data-upload-progress]')) {
    const bar = f.querySelector('progress')
    if (!bar || typeof FormData !== 'function') continue
    f.addEventListener('submit', (e) => {
      if (e.defaultPrevented) return
      e.preventDefault()
      const body = new FormData(f, e.submitter)
      const xhr = new XMLHttpRequest()
      xhr.open('POST', f.action)
      bar.hidden = false
      bar.removeAttribute('value')
      xhr.upload.addEventListener('progress', (p) => {
        if (!p.lengthComputable) return
        bar.max = p.total
        bar.value = p.loaded
      })
      xhr.addEventListener('load', () => {
        bar.value = bar.max
        if (xhr.responseURL && xhr.responseURL !== location.href)
          history.replaceState(null, '', xhr.responseURL)
        document.open()
        document.write(xhr.responseText)
        document.close()
      })
      // The connection failed: the plain submission says why as a browser would.
      xhr.addEventListener('error', () => f.submit())
      for (const b of f.querySelectorAll('button[type="submit"]')) b.disabled = true
      xhr.send(body)
    })
  }
  // Slow forms (a passphrase change runs Argon2 for seconds): <form data-busy="statusId"> shows
  // its hidden status and progress bar on submit and disables the button against a second submit.
  for (const f of document.querySelectorAll('form[data-busy]')) {
    f.addEventListener('submit', () => {
      const status = document.getElementById(f.dataset.busy)
      if (status) status.hidden = false
      // After this event the form's data is already taken; disabling now blocks only a double click.
      setTimeout(() => {
        for (const b of f.querySelectorAll('button[type="submit"]')) b.disabled = true
      }, 0)
    })
  }
})()
