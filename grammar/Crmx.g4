// The grammar of the .crmx language.
//
// Declarations are crmx's own; expressions follow CEL (github.com/google/cel-spec, langdef.md):
// its literals, operators and precedence, `?:`, `in`, member calls, indexing and macros, plus
// `??` (null coalescing, binding tighter than comparisons and looser than `+`, as in Swift),
// `hold "reason"` and `ref(map, id)`.
//
// Every alternative is labelled, so the AST builder (compiler/syntax/ast_builder.cpp) reads
// named fields. Alternatives whose label ends in `Error` match a common mistake so the
// builder can report it precisely instead of a token list.
//
// Keywords: the words in KEYWORDS below are reserved; all other construct words (schema,
// every, within, ...) are contextual and can be used as names. Any word, reserved or not, is
// a name when written in backticks: `key`.
grammar Crmx;

// ------------------------------------------------------------------------------ file
// A file is one block: an integration spec, or a module of shared declarations that specs
// import. Being a block, a file cut short always leaves a `{` open, which the parser reports
// where the text ends.
file
  : INTEGRATION name=ident (VERSION version=STRING)? '{' item* '}' EOF   # IntegrationFile
  | MODULE name=ident '{' item* '}' EOF                                   # ModuleFile
  ;

item
  : INTEGRATION name=ident (VERSION version=STRING)?                     # MisplacedHeaderItem
  | IMPORT path=STRING (AS alias=ident)?                                 # ImportItem
  | USE modulePath (',' modulePath)*                                     # UseItem
  | SYSTEM name=ident ':' kind=ident '{' systemSetting* '}'              # SystemItem
  | OWNER system=ident '{' ownerObject* '}'                              # OwnerItem
  | TABLE name=ident (':' tableType=type)? '=' tableValue                # TableItem
  | MAP name=ident ':' source=objectRef ARROW target=objectRef
      '{' mapStmt* '}'                                                   # MapItem
  | SYNC map=ident trigger (WHEN predicate)? syncBlock?                  # SyncItem
  | CONFLICTS strategy=ident conflictOption*                             # ConflictsItem
  | ALERT name=ident ON object=objectRef WHEN predicate
      FOR window=DURATION NOTIFY expr (',' expr)*                        # AlertItem
  | RECONCILE schedule left=objectRef '~' right=objectRef
      BY predicate '{' (reconcileRule (',' reconcileRule)* ','?)? '}'   # ReconcileItem
  | TEST name=STRING '{' testStmt* '}'                                   # TestItem
  ;

modulePath
  : ident ('.' ident)*
  ;

// ------------------------------------------------------------------------------ systems
systemSetting
  : SCHEMA path=STRING (AS format=ident)?                                # SchemaSetting
  | BUDGET metric=ident amount=INT (PER period=DURATION)?
      (WARN AT warnAt=percent)?                                          # BudgetSetting
  | BATCH size=INT                                                       # BatchSetting
  | FIELD object=ident '.' path=fieldPath (':' fieldType=overlayType)?
      facts+=IDENT*                                                      # FieldOverlay
  ;

// A schema overlay's type: `string(40)`, `decimal(18, 2)`, `picklist("Open", "Paid")`,
// `reference(Customer)`. The checker knows the names and their arguments (E0208).
overlayType
  : name=ident ('(' args+=overlayTypeArg (',' args+=overlayTypeArg)* ','? ')')?
  ;

overlayTypeArg
  : INT                                                                  # OverlayIntArg
  | STRING                                                               # OverlayStringArg
  | ident                                                                # OverlayNameArg
  ;

percent
  : value=number '%'
  ;

number
  : INT | FLOAT
  ;

// ------------------------------------------------------------------------------ ownership
ownerObject
  : object=ident '{' ownerFields? '}'
  ;

ownerFields
  : '*' (EXCEPT ident (',' ident)* ','?)?                                # OwnerAllFields
  | ident (',' ident)* ','?                                              # OwnerFieldList
  ;

// ------------------------------------------------------------------------------ tables
tableValue
  : CSV '(' path=STRING (',' namedArg)* ','? ')'                         # CsvTable
  | expr                                                                 # LiteralTable
  ;

namedArg
  : name=anyName ':' value=expr
  ;

type
  : name=typeName ('<' type (',' type)* '>')?
  ;

typeName
  : ident | MAP
  ;

// ------------------------------------------------------------------------------ maps
objectRef
  : system=ident '.' object=ident
  ;

// An assignment's operator is `=`; `:` and `==` are matched too so the builder can report the
// mistake precisely (E0005). Alternatives are left-factored: every decision in the grammar is
// made on the next token or two, so after an error the parser never backs up to blame text
// before it.
mapStmt
  : KEY target=fieldPath '=' value=expr                                  # KeyStmt
  | REQUIRE predicate ELSE reason=STRING                                 # RequireStmt
  | target=fieldPath op=('=' | ':' | '==') value=expr (FLAG label=STRING)?  # AssignStmt
  ;

fieldPath
  : ident ('.' ident)*
  ;

// A condition. The optional `= right` catches `=` written for `==` (E0004).
predicate
  : left=expr (ASSIGN right=expr)?
  ;

// ------------------------------------------------------------------------------ syncs
trigger
  : ON CHANGE                                                            # OnChangeTrigger
  | EVERY interval=DURATION                                              # EveryTrigger
  | DAILY AT time=timeOfDay                                              # DailyTrigger
  ;

timeOfDay
  : hour=INT ':' minute=INT (ZONE zone=STRING)?
  ;

syncBlock
  : '{' syncPolicy* '}'
  ;

syncPolicy
  : RETRY attempts=INT (BACKOFF backoff)? JITTER?                        # RetryPolicy
  | ON EXHAUSTED exhaustedAction+                                        # ExhaustedPolicy
  ;

backoff
  : kind=ident '(' DURATION (',' DURATION)* ')'
  ;

exhaustedAction
  : DEAD_LETTER                                                          # DeadLetterAction
  | NOTIFY expr (',' expr)*                                              # NotifyAction
  | HOLD reason=STRING                                                   # HoldAction
  ;

// ------------------------------------------------------------------------------ conflicts
conflictOption
  : GRACE window=DURATION                                                # GraceOption
  | AUDIT                                                                # AuditOption
  ;

// ------------------------------------------------------------------------------ reconcile
schedule
  : DAILY (AT timeOfDay)?                                                # DailySchedule
  | HOURLY                                                               # HourlySchedule
  | EVERY interval=DURATION                                              # EverySchedule
  ;

// Rules are separated by commas: a rule may start with `-` or `(`, which could otherwise
// continue the expression before it.
reconcileRule
  : left=expr '~' right=expr (WITHIN tolerance)?
  ;

tolerance
  : percent                                                              # PercentTolerance
  | number                                                               # AbsoluteTolerance
  ;

// ------------------------------------------------------------------------------ tests
// `given won: crm.Opportunity { ... }` names the record, so an expectation can be about it:
// `expect won written erp.SalesOrder { ... }`. `no` and `not` start a negative expectation
// (`expect no flag "L"`): as the first word after `expect` they are never a record's name (the
// first alternative wins); a record named so is written in backticks.
testStmt
  : GIVEN (name=ident ':')? record                                       # GivenStmt
  | NOW clock=STRING                                                     # NowStmt
  | EXPECT outcome                                                       # ExpectStmt
  | EXPECT subject=ident outcome                                         # ExpectAboutStmt
  ;

// What an expectation says happened (or, with `no` / `not`, did not).
outcome
  : (negated=NOT_WORD)? (written=WRITTEN)? (record | target=objectRef)        # WrittenOutcome
  | (negated=NO_WORD)? EXCEPTION reason=STRING?                               # ExceptionOutcome
  | (negated=NO_WORD)? HOLD reason=STRING?                                    # HoldOutcome
  | (negated=NO_WORD)? FLAG label=STRING?                                     # FlagOutcome
  | (negated=NOT_WORD)? SKIPPED                                               # SkippedOutcome
  ;

record
  : objectRef '{' (fieldInit (',' fieldInit)* ','?)? '}'
  ;

fieldInit
  : name=anyName ':' value=expr
  ;

// ------------------------------------------------------------------------------ expressions (CEL)
// The entry for one expression on its own (`crmxc eval`); not part of a file.
standaloneExpr
  : expr EOF
  ;

expr
  : cond=conditionalOr ('?' then=conditionalOr ':' otherwise=expr)?
  ;

conditionalOr
  : left=conditionalAnd (ops+='||' rest+=conditionalAnd)*
  ;

conditionalAnd
  : left=relation (ops+='&&' rest+=relation)*
  ;

relation
  : nullish                                                              # RelationNullish
  | left=relation op=('<' | '<=' | '>=' | '>' | '==' | '!=' | IN) right=relation  # RelationOp
  ;

nullish
  : value=calc ('??' fallback=nullish)?
  ;

calc
  : unary                                                                # CalcUnary
  | left=calc op=('*' | '/' | '%') right=calc                            # CalcMul
  | left=calc op=('+' | '-') right=calc                                  # CalcAdd
  ;

unary
  : member                                                               # UnaryMember
  | (ops+='!')+ member                                                   # UnaryNot
  | (ops+='-')+ member                                                   # UnaryNeg
  ;

member
  : primary                                                              # MemberPrimary
  | member '.' name=anyName (call='(' args=exprList? ')')?               # MemberSelect
  | member '[' index=expr ']'                                            # MemberIndex
  ;

primary
  : literal                                                              # PrimaryLiteral
  | name=ident (call='(' args=exprList? ')')?                            # PrimaryIdent
  | '(' inner=expr ')'                                                   # PrimaryParens
  | '[' elems=exprList? ','? ']'                                         # PrimaryList
  | '{' entries=mapEntries? ','? '}'                                     # PrimaryMap
  | HOLD reason=STRING                                                   # PrimaryHold
  | REF '(' map=ident ',' id=expr ')'                                    # PrimaryRef
  ;

exprList
  : expr (',' expr)*
  ;

mapEntries
  : mapEntry (',' mapEntry)*
  ;

mapEntry
  : key=mapKey ':' value=expr
  ;

// Map literal keys. A bare name is a field name, as in a record: `{item: x}` has the string
// key "item" (unlike CEL, where it would read the variable `item`); any other expression is
// evaluated as in CEL.
mapKey
  : name=anyName                                                         # FieldKey
  | expr                                                                 # ExprKey
  ;

literal
  : INT                                                                  # IntLit
  | UINT                                                                 # UintLit
  | FLOAT                                                                # FloatLit
  | DECIMAL                                                              # DecimalLit
  | STRING                                                               # StringLit
  | BYTES                                                                # BytesLit
  | TRUE_LIT                                                                 # TrueLit
  | FALSE_LIT                                                                # FalseLit
  | NULL_LIT                                                                 # NullLit
  | DURATION                                                             # DurationLit
  ;

// ------------------------------------------------------------------------------ names
// A name: an identifier, a contextual keyword, or any word in backticks.
ident
  : IDENT | QUOTED_IDENT | softKeyword
  ;

// After `.` and before `:` in records and named arguments any word is a name, reserved or not.
anyName
  : ident | reservedKeyword
  ;

softKeyword
  : VERSION | MODULE | AS | SCHEMA | BUDGET | BATCH | FIELD | PER | WARN | AT | EXCEPT | CSV | ON | CHANGE
  | WHEN | EVERY | DAILY | HOURLY | ZONE | RETRY | BACKOFF | JITTER | EXHAUSTED | DEAD_LETTER
  | NOTIFY | GRACE | AUDIT | WITHIN | BY | GIVEN | EXPECT | EXCEPTION | NOW | NO_WORD | NOT_WORD | WRITTEN
  | SKIPPED
  ;

reservedKeyword
  : INTEGRATION | IMPORT | USE | SYSTEM | OWNER | TABLE | MAP | SYNC | CONFLICTS | ALERT
  | RECONCILE | TEST | KEY | REQUIRE | ELSE | FLAG | HOLD | REF | FOR | IN | TRUE_LIT | FALSE_LIT | NULL_LIT
  ;

// ============================================================================== lexer
// KEYWORDS (reserved)
INTEGRATION : 'integration' ;
IMPORT      : 'import' ;
USE         : 'use' ;
SYSTEM      : 'system' ;
OWNER       : 'owner' ;
TABLE       : 'table' ;
MAP         : 'map' ;
SYNC        : 'sync' ;
CONFLICTS   : 'conflicts' ;
ALERT       : 'alert' ;
RECONCILE   : 'reconcile' ;
TEST        : 'test' ;
KEY         : 'key' ;
REQUIRE     : 'require' ;
ELSE        : 'else' ;
FLAG        : 'flag' ;
HOLD        : 'hold' ;
REF         : 'ref' ;
FOR         : 'for' ;
IN          : 'in' ;
TRUE_LIT        : 'true' ;
FALSE_LIT       : 'false' ;
NULL_LIT        : 'null' ;
// CONTEXTUAL KEYWORDS
VERSION     : 'version' ;
MODULE      : 'module' ;
AS          : 'as' ;
SCHEMA      : 'schema' ;
BUDGET      : 'budget' ;
BATCH       : 'batch' ;
FIELD       : 'field' ;
PER         : 'per' ;
WARN        : 'warn' ;
AT          : 'at' ;
EXCEPT      : 'except' ;
CSV         : 'csv' ;
ON          : 'on' ;
CHANGE      : 'change' ;
WHEN        : 'when' ;
EVERY       : 'every' ;
DAILY       : 'daily' ;
HOURLY      : 'hourly' ;
ZONE        : 'zone' ;
RETRY       : 'retry' ;
BACKOFF     : 'backoff' ;
JITTER      : 'jitter' ;
EXHAUSTED   : 'exhausted' ;
DEAD_LETTER : 'dead_letter' ;
NOTIFY      : 'notify' ;
GRACE       : 'grace' ;
AUDIT       : 'audit' ;
WITHIN      : 'within' ;
BY          : 'by' ;
GIVEN       : 'given' ;
EXPECT      : 'expect' ;
EXCEPTION   : 'exception' ;
NOW         : 'now' ;
NO_WORD     : 'no' ;
NOT_WORD    : 'not' ;
WRITTEN     : 'written' ;
SKIPPED     : 'skipped' ;
// END KEYWORDS

ARROW   : '->' ;
COALESCE: '??' ;
EQ      : '==' ;
NE      : '!=' ;
LE      : '<=' ;
GE      : '>=' ;
AND     : '&&' ;
OR      : '||' ;
ASSIGN  : '=' ;
LT      : '<' ;
GT      : '>' ;
NOT     : '!' ;
PLUS    : '+' ;
MINUS   : '-' ;
STAR    : '*' ;
SLASH   : '/' ;
PERCENT : '%' ;
QUESTION: '?' ;
COLON   : ':' ;
COMMA   : ',' ;
DOT     : '.' ;
TILDE   : '~' ;
LPAREN  : '(' ;
RPAREN  : ')' ;
LBRACKET: '[' ;
RBRACKET: ']' ;
LBRACE  : '{' ;
RBRACE  : '}' ;

// Numbers. A duration is an integer with a unit (48h, 60s, 10m, 500ms, 7d); a decimal is a
// number with a fraction and the suffix `m` (for money: 19.99m); a float has a fraction or an
// exponent (CEL's double); `u` marks an unsigned int (CEL).
DURATION : DIGIT+ ('ms' | 's' | 'm' | 'h' | 'd') ;
DECIMAL  : DIGIT+ '.' DIGIT+ 'm' ;
FLOAT    : DIGIT* '.' DIGIT+ EXPONENT? | DIGIT+ EXPONENT ;
UINT     : (DIGIT+ | '0x' HEXDIGIT+) [uU] ;
INT      : DIGIT+ | '0x' HEXDIGIT+ ;
// A number run into letters (`2sec`, `0XFF`, `.5m`): one bad token, reported by the lexical
// pass (E0014 for a duration with an unknown unit, E0010 otherwise), never split in two.
BAD_NUMBER : (DIGIT+ ('.' DIGIT+)? | '.' DIGIT+) [a-zA-Z_] [a-zA-Z_0-9]* ;

// Strings, with CEL's quoting: "..." '...' """...""" '''...''' and raw r"..." forms.
STRING
  : '"""' (ESC_SEQ | ~'\\')*? '"""'
  | '\'\'\'' (ESC_SEQ | ~'\\')*? '\'\'\''
  | '"' (ESC_SEQ | ~[\\"\n\r])* '"'
  | '\'' (ESC_SEQ | ~[\\'\n\r])* '\''
  | RAW '"""' .*? '"""'
  | RAW '\'\'\'' .*? '\'\'\''
  | RAW '"' ~[\n\r"]* '"'
  | RAW '\'' ~[\n\r']* '\''
  ;
BYTES : [bB] STRING ;

// An unterminated string runs to the end of its line; the builder reports E0002.
UNTERMINATED_STRING
  : RAW? '"' (ESC_SEQ | ~[\\"\n\r])*
  | RAW? '\'' (ESC_SEQ | ~[\\'\n\r])*
  ;

IDENT        : [_a-zA-Z] [_a-zA-Z0-9]* ;
QUOTED_IDENT : '`' ~[`\n\r]+ '`' ;

DOC_COMMENT  : '///' ~[\n\r]* -> channel(HIDDEN) ;
LINE_COMMENT : '//' ~[\n\r]* -> channel(HIDDEN) ;
BLOCK_COMMENT: '/*' .*? '*/' -> channel(HIDDEN) ;
// Only a comment with no `*/` anywhere after it: the longest match must not beat BLOCK_COMMENT.
UNTERMINATED_COMMENT : '/*' (~'*' | '*'+ ~[*/])* '*'* EOF ;
WS           : [ \t\r\n\f]+ -> channel(HIDDEN) ;

// Anything else is one bad character; the parser reports it where it stands.
ERROR_CHAR   : . ;

fragment RAW      : [rR] ;
fragment DIGIT    : [0-9] ;
fragment HEXDIGIT : [0-9a-fA-F] ;
fragment EXPONENT : [eE] [+-]? DIGIT+ ;
fragment ESC_SEQ
  : '\\' [abfnrtv"'`\\?]
  | '\\' [xX] HEXDIGIT HEXDIGIT
  | '\\' 'u' HEXDIGIT HEXDIGIT HEXDIGIT HEXDIGIT
  | '\\' 'U' HEXDIGIT HEXDIGIT HEXDIGIT HEXDIGIT HEXDIGIT HEXDIGIT HEXDIGIT HEXDIGIT
  | '\\' [0-3] [0-7] [0-7]
  | '\\' ~[\n\r]
  ;
