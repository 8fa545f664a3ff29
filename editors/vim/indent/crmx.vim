" Indentation for .crmx files: one level per open `{`, `[` or `(`.
if exists('b:did_indent')
  finish
endif
let b:did_indent = 1

setlocal indentexpr=GetCrmxIndent(v:lnum)
setlocal indentkeys=0{,0},0],0),!^F,o,O,e
setlocal nolisp nosmartindent nocindent autoindent

let b:undo_indent = 'setlocal indentexpr< indentkeys< lisp< smartindent< cindent< autoindent<'

if exists('*GetCrmxIndent')
  finish
endif

" The line without strings and comments, so brackets inside them are not counted.
function! s:Code(lnum) abort
  let l:line = getline(a:lnum)
  let l:line = substitute(l:line, '"\%(\\.\|[^"\\]\)*"', '""', 'g')
  let l:line = substitute(l:line, "'\\%(\\\\.\\|[^'\\\\]\\)*'", "''", 'g')
  let l:line = substitute(l:line, '`[^`]*`', '``', 'g')
  let l:line = substitute(l:line, '//.*$', '', '')
  return l:line
endfunction

function! GetCrmxIndent(lnum) abort
  let l:prev = prevnonblank(a:lnum - 1)
  if l:prev == 0
    return 0
  endif
  let l:ind = indent(l:prev)
  let l:code = s:Code(l:prev)
  " Net brackets opened on the previous line (a line that starts by closing is already dedented).
  let l:opened = len(substitute(l:code, '[^{[(]', '', 'g'))
  let l:closed = len(substitute(substitute(l:code, '^\s*[}\])]\+', '', ''), '[^}\])]', '', 'g'))
  if l:opened > l:closed
    let l:ind += shiftwidth()
  elseif l:closed > l:opened
    let l:ind -= shiftwidth() * (l:closed - l:opened)
  endif
  if getline(a:lnum) =~# '^\s*[}\])]'
    let l:ind -= shiftwidth()
  endif
  return max([l:ind, 0])
endfunction
