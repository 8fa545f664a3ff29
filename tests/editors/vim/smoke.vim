" Smoke test of editors/vim: filetype detection, a few syntax groups, brace indentation.
" Run: vim -Nu NONE -i NONE -es -S tests/editors/vim/smoke.vim (from the repository root).
" Exits 0 when every check passes; otherwise prints the failures and exits 1.
set nocompatible
let s:root = fnamemodify(expand('<sfile>:p'), ':h:h:h:h')
let &runtimepath = s:root . '/editors/vim,' . &runtimepath
filetype plugin indent on
syntax on
let s:failures = []

function! s:Expect(what, actual, expected) abort
  if a:actual !=# a:expected
    call add(s:failures, a:what . ': expected ' . string(a:expected) . ', got ' . string(a:actual))
  endif
endfunction

" The syntax group at the first character of the `n`th occurrence of `text` on line `lnum`.
function! s:GroupAt(lnum, text, n) abort
  let l:col = -1
  for l:i in range(a:n)
    let l:col = stridx(getline(a:lnum), a:text, l:col + 1)
  endfor
  return synIDattr(synID(a:lnum, l:col + 1, 1), 'name')
endfunction

execute 'edit ' . fnameescape(s:root . '/tests/editors/vim/smoke.crmx')
call s:Expect('filetype', &filetype, 'crmx')
call s:Expect('commentstring', &commentstring, '// %s')

call s:Expect('doc comment', s:GroupAt(1, '///', 1), 'crmxDocComment')
call s:Expect('todo', s:GroupAt(1, 'TODO', 1), 'crmxTodo')
call s:Expect('declaration', s:GroupAt(2, 'system', 1), 'crmxDeclaration')
call s:Expect('contextual keyword', s:GroupAt(3, 'schema', 1), 'crmxContextual')
call s:Expect('duration', s:GroupAt(4, '24h', 1), 'crmxDuration')
call s:Expect('object ref', s:GroupAt(6, 'crm.Account', 1), 'crmxObjectRef')
call s:Expect('reserved key', s:GroupAt(7, 'key', 1), 'crmxKeyword')
call s:Expect('contextual as assignment target', s:GroupAt(8, 'schema', 1), 'crmxIdentifier')
call s:Expect('contextual after dot', s:GroupAt(8, 'schema', 2), 'crmxMember')
call s:Expect('decimal', s:GroupAt(8, '19.99m', 1), 'crmxDecimal')
call s:Expect('method named like a keyword', s:GroupAt(9, 'map', 1), 'crmxMethod')
call s:Expect('reserved word as map key', s:GroupAt(11, 'key', 1), 'crmxIdentifier')

normal! gg=G
let s:want = ['/// doc TODO', 'system crm: salesforce {', '  schema "s/*.json"',
      \ '  budget api_calls 100 per 24h warn at 80%', '}', 'map m: crm.Account -> erp.Customer {',
      \ '  key externalId = Id', '  schema = x.schema ?? 19.99m', '  lines = Items.map(li, {',
      \ '    item: li.Sku,', '    key: 1,', '  })', '}']
call s:Expect('indentation', getline(1, '$'), s:want)

if empty(s:failures)
  qall!
endif
for s:f in s:failures
  " -es mode: write to stdout through :verbose echo is unreliable; use writefile to stderr.
  call writefile(['vim smoke: ' . s:f], '/dev/stderr', 'a')
endfor
cquit!
