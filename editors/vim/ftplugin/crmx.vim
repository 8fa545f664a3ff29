" Filetype settings for .crmx files.
if exists('b:did_ftplugin')
  finish
endif
let b:did_ftplugin = 1

setlocal commentstring=//\ %s
" `///` doc comments continue as doc comments; `/* */` blocks get ` * ` leaders.
setlocal comments=s1:/*,mb:*,ex:*/,:///,://
setlocal formatoptions-=t formatoptions+=croql
setlocal expandtab shiftwidth=2 softtabstop=2 tabstop=8
setlocal iskeyword=@,48-57,_
setlocal suffixesadd=.crmx
setlocal foldmethod=syntax foldlevel=99

let b:undo_ftplugin = 'setlocal commentstring< comments< formatoptions< expandtab< shiftwidth<'
      \ . ' softtabstop< tabstop< iskeyword< suffixesadd< foldmethod< foldlevel<'
