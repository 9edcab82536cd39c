"""The domain services, one package per capability of the port's customer management.

Each service function takes an `AsyncSession` and plain values, holds its transaction the one way
(`portcrm.storage.transaction`), raises `portcrm.errors.DomainError`s with a gettext message id, and returns
domain objects or plain values. Services never import aiogram nor an importer: the chat edge (`bot/`), the
importers (`portcrm/importing/`) and the jobs (`portcrm/jobs/`) all call the same functions.

archive/      the customer archive: edits by owning department, cards, history, search, codes
grading/      types and A/B/C grades: the twelve months measured, the score and the proposal
development/  leads and their conversion, marketing broadcasts
tracking/     shipments, cargo events and their pushes, the status card
complaints/   intake, the desk, the status flow, SLA clocks, the customer's notices
receivables/  the ledger, balances and credit, payments, dunning and legal steps, the export, statements
care/         visits, revisits, surveys, customers' questions
identity/     who a chat user is: staff and roles, linking, invites, profiles
privacy/      PIPL: a person's own data and its copy, consents, deletion requests and erasure
recipients/   who hears of something, in which language, and who cannot be reached
reports/      the manager's figures and their charts
exports/      Excel files staff take away (archive, complaints, visits) and the one .xlsx writer
"""
