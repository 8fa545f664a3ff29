" Detects .crmx files (crmx integration specs).
au BufRead,BufNewFile *.crmx set filetype=crmx
