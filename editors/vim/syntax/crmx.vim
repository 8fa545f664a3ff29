" Vim syntax file for .crmx, the crmx CRM<->ERP integration language.
" grammar/Crmx.g4 is authoritative. The keyword lists below are compared with its KEYWORDS
" section by tests/editors/check_keywords.py: keep one word per list entry, in single quotes.
"
" Reserved words are keywords everywhere except where the grammar reads them as names: after
" `.` (member access) and directly before `:` (record fields, named arguments, map keys).
" Contextual keywords follow the same rule and, in addition, are not keywords before `=` (an
" assignment target such as `schema = ...`) or `(` (a call), except `csv(`. Unlike the VS Code
" grammar, this file does not track which construct it is in, so a contextual keyword used as
" a plain name inside an expression (`x == schema`) is still highlighted as a keyword.

if exists('b:current_syntax')
  finish
endif

let s:cpo_save = &cpo
set cpo&vim

" ---------------------------------------------------------------- keyword lists
" Reserved: declarations (each starts an item).
let s:reserved_declaration = ['integration', 'import', 'use', 'system', 'owner', 'table', 'map',
      \ 'sync', 'conflicts', 'alert', 'reconcile', 'test']
" Reserved: what happens to a record.
let s:reserved_control = ['require', 'else', 'flag', 'hold']
" Reserved: other.
let s:reserved_other = ['key', 'ref', 'for']
let s:reserved_operator = ['in']
let s:reserved_constant = ['true', 'false', 'null']
" Contextual: keywords only in their construct; names elsewhere.
let s:contextual = ['version', 'module', 'as', 'schema', 'budget', 'batch', 'field', 'per', 'warn', 'at', 'except',
      \ 'csv', 'on', 'change', 'when', 'every', 'daily', 'hourly', 'zone', 'retry', 'backoff',
      \ 'jitter', 'exhausted', 'dead_letter', 'notify', 'grace', 'audit', 'within', 'by', 'given',
      \ 'expect', 'exception', 'now', 'no', 'not', 'written', 'skipped']

" A word from `words`, not after `.` and not directly before `:` (`::` does not occur).
function! s:WordMatch(group, words, extra_lookahead) abort
  let l:pattern = '\%(\.\s*\)\@<!\<\%(' . join(a:words, '\|') . '\)\>\%(:' . a:extra_lookahead . '\)\@!'
  execute 'syn match ' . a:group . ' "' . l:pattern . '"'
endfunction

" ---------------------------------------------------------------- names and operators
syn match crmxIdentifier "\<\h\w*\>"
syn match crmxFunction "\<\h\w*\ze\s*("
syn match crmxMember "\.\s*\zs\h\w*\>"
syn match crmxMethod "\.\s*\zs\h\w*\ze\s*("
syn match crmxQuotedIdent "`[^`]\+`"
syn match crmxOperator "??\|->\|\~\|==\|!=\|<=\|>=\|&&\|||\|[-+*/%<>!=?]"
syn match crmxObjectRef "\<\h\w*\.\h\w*\>\ze\s*\%({\|->\|\~\|\s\%(when\|by\)\>\)"

" ---------------------------------------------------------------- keywords
call s:WordMatch('crmxContextual', s:contextual, '\|\s*=\%(=\)\@!\|\s*(')
syn match crmxContextual "\<csv\ze\s*("
call s:WordMatch('crmxDeclaration', s:reserved_declaration, '')
call s:WordMatch('crmxControl', s:reserved_control, '')
call s:WordMatch('crmxKeyword', s:reserved_other, '')
call s:WordMatch('crmxWordOperator', s:reserved_operator, '')
call s:WordMatch('crmxConstant', s:reserved_constant, '')
" `map<...>` in a table type is a type, not the declaration.
syn match crmxType "\<map\ze\s*<"

" Names declared by items.
syn match crmxDeclName "\%(\<\%(integration\|system\|table\|map\|alert\)\s\+\)\@<=\%(\h\w*\|`[^`]\+`\)"

" ---------------------------------------------------------------- literals
" Order matters: later items win when several start at the same column.
syn match crmxNumber "\<\d\+[uU]\=\>"
syn match crmxNumber "\<0[xX]\x\+[uU]\=\>"
syn match crmxFloat "\%(\<\d\+\)\=\.\d\+\%([eE][+-]\=\d\+\)\=\>"
syn match crmxFloat "\<\d\+[eE][+-]\=\d\+\>"
syn match crmxDuration "\<\d\+\%(ms\|s\|m\|h\|d\)\>"
syn match crmxDecimal "\<\d\+\.\d\+m\>"
syn match crmxTime "\<\d\{1,2}:\d\d\>"

syn match crmxEscape contained +\\\%([abfnrtv"'`\\?]\|[xX]\x\{2}\|u\x\{4}\|U\x\{8}\|[0-3]\o\{2}\)+
syn match crmxBadEscape contained +\\[^abfnrtv"'`\\?xXuU0-3]+

syn region crmxString start=+\<[bB]\=[rR]"""+ end=+"""+ contains=@Spell
syn region crmxString start=+\<[bB]\=[rR]'''+ end=+'''+ contains=@Spell
syn region crmxString start=+\<[bB]\=[rR]"+ end=+"+ end=+$+ oneline
syn region crmxString start=+\<[bB]\=[rR]'+ end=+'+ end=+$+ oneline
syn region crmxString start=+\%(\<[bB]\)\="""+ skip=+\\\\\|\\"+ end=+"""+ contains=crmxEscape,crmxBadEscape,@Spell
syn region crmxString start=+\%(\<[bB]\)\='''+ skip=+\\\\\|\\'+ end=+'''+ contains=crmxEscape,crmxBadEscape,@Spell
syn region crmxString start=+\%(\<[bB]\)\="\%(""\)\@!+ skip=+\\\\\|\\"+ end=+"+ end=+$+ contains=crmxEscape,crmxBadEscape
syn region crmxString start=+\%(\<[bB]\)\='\%(''\)\@!+ skip=+\\\\\|\\'+ end=+'+ end=+$+ contains=crmxEscape,crmxBadEscape

" ---------------------------------------------------------------- comments
syn keyword crmxTodo contained TODO FIXME XXX HACK NOTE
syn region crmxComment start="//" end="$" contains=crmxTodo,@Spell
syn region crmxDocComment start="///" end="$" contains=crmxTodo,@Spell
syn region crmxComment start="/\*" end="\*/" contains=crmxTodo,@Spell fold

syn region crmxBlock start="{" end="}" transparent fold

syn sync minlines=200

" ---------------------------------------------------------------- links
hi def link crmxDeclaration  Structure
hi def link crmxControl      Conditional
hi def link crmxKeyword      Keyword
hi def link crmxWordOperator Operator
hi def link crmxConstant     Constant
hi def link crmxContextual   Keyword
hi def link crmxType         Type
hi def link crmxDeclName     Identifier
hi def link crmxObjectRef    Type
hi def link crmxFunction     Function
hi def link crmxMethod       Function
hi def link crmxQuotedIdent  Identifier
hi def link crmxOperator     Operator
hi def link crmxNumber       Number
hi def link crmxFloat        Float
hi def link crmxDecimal      Float
hi def link crmxDuration     Number
hi def link crmxTime         Number
hi def link crmxString       String
hi def link crmxEscape       SpecialChar
hi def link crmxBadEscape    Error
hi def link crmxComment      Comment
hi def link crmxDocComment   SpecialComment
hi def link crmxTodo         Todo

let b:current_syntax = 'crmx'

let &cpo = s:cpo_save
unlet s:cpo_save
