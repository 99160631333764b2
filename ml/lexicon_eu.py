"""Generic category words in German, French, Spanish, Italian, Dutch and Portuguese.

The sentence encoder reads English only, so for a European statement the built-in prior has
little to go on beyond the brands in :data:`ml.lexicon.KEYWORDS`: a Spanish life insurance
("SEGURO VIDA") read as Clothing, a cash withdrawal ("Reintegro efectivo") as Fuel, a Dutch
loan ("RENTE LENING") as Accommodation. These are the everyday words of bank lines in those
languages, by leaf of the default taxonomy, from general knowledge (never from an evaluation
file), in the same notation as :data:`~ml.lexicon.KEYWORDS` ("~" weak, "!" decisive) and merged
into it. Accents may be written or not: :func:`ml.prior.lexicon_match` also matches the text
and the keywords with their accents removed ("prelevement", "nomina").

Words that are also common English words or short and ambiguous are weak ("rate", "gift" and
"don" are left out); compounds are listed as banks write them ("krankenkasse").
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

EU_KEYWORDS: dict[str, str] = {
    "Salary": "bezüge|lohnzahlung|gehaltszahlung|~paie|sueldo|salario|stipendio|salaris|"
              "~loon|salário|ordenado|~vencimento",
    "Interest & Dividends": "zinsgutschrift|~intérêts|intérêts créditeurs|dividendes|~intereses|"
                            "dividendos|~interessi|interessi attivi|dividendi|~cedola|~juros|"
                            "~rente",
    "Refunds": "erstattung|rückerstattung|reembolso|devolución|rimborso|terugbetaling|"
               "restitutie|devolução",
    "Rent & Mortgage": "kaltmiete|warmmiete|hypothek|baufinanzierung|prêt immobilier|hypothèque|"
                       "alquiler|hipoteca|affitto|~mutuo|huur|hypotheek|aluguel|aluguer|"
                       "crédito habitação",
    "Utilities": "~wasser|nebenkosten|abwasser|müllabfuhr|energieversorgung|électricité|~gaz|"
                 "electricidad|~luz|~agua|~luce|bolletta|~acqua|energia elettrica|stroom|"
                 "~energie|eletricidade|~água",
    "Home Insurance": "hausratversicherung|haftpflichtversicherung|~haftpflicht|"
                      "gebäudeversicherung|lebensversicherung|kfz versicherung|kfz-versicherung|"
                      "autoversicherung|"
                      "assurance habitation|~seguro|~seguros|seguro hogar|seguro vida|"
                      "~assicurazione|~assicurazioni|~verzekering|~verzekeringen|"
                      "~versicherungen|~versicherungs|versicherungsbeitrag",
    "Health Insurance": "krankenkasse|krankenversicherung|~mutuelle|zorgverzekering|"
                        "zorgverzekeraar|seguro de salud|seguro medico|assicurazione sanitaria|"
                        "seguro de saúde",
    "Groceries": "~supermarkt|metzgerei|"
                 "boucherie|carnicería|frutería|supermercato|"
                 "~alimentari|macelleria|slagerij|mercearia|talho",
    "Restaurants": "gaststätte|wirtshaus|brasserie|osteria|eetcafé",
    "Coffee & Snacks": "~cafetería|pasticceria|pastelaria|"
                       "~panadería|~panetteria|~panificio|~bakkerij|~padaria",
    "Takeaway & Delivery": "lieferando|thuisbezorgd|glovo|wolt|foodora",
    "Fuel": "~gasolina|~carburante|tankstation|~combustível|~kraftstoff|~station service|"
            "~distributore",
    "Public Transport": "fahrkarte|fahrschein|verkehrsbetriebe|wiener linien|~billete|"
                        "ov chipkaart|ov-chipkaart|ovchipkaart|comboios|~metropolitano",
    "Car Maintenance": "autowerkstatt|~werkstatt|~reifen|contrôle technique|~pneus|~taller|"
                       "neumáticos|officina|gommista|autobanden",
    "Parking & Tolls": "parkgebühr|~maut|~vignette|peaje|"
                       "aparcamiento|estacionamiento|pedaggio|parcheggio|autostrade|parkeren|"
                       "parkeergarage|portagem|via verde",
    "Phone & Internet": "mobilfunk|festnetz|~telefon|forfait mobile|~téléphone|telefonía|~móvil|"
                        "telefonia|~cellulare|~telefoon|~mobiel|telemóvel|~telefone",
    "Clothing": "bekleidung|~schuhe|vêtements|chaussures|~ropa|zapatos|zapatería|abbigliamento|"
                "scarpe|calzature|kleding|schoenen|~roupa|sapatos|vestuário",
    "Electronics": "~elektronik|~électronique|~electrónica|~elettronica|~elektronica|"
                   "~eletrónica",
    "Household": "möbel|meubles|muebles|mobili|meubels|móveis|~haushalt",
    "Home Maintenance": "baumarkt|handwerker|bricolage|quincaillerie|ferretería|bricolaje|"
                        "ferramenta|bouwmarkt|ijzerwaren|loodgieter|plombier|fontanero|"
                        "idraulico",
    "Pharmacy": "apotheek|parafarmacia",
    "Doctor & Dentist": "~arzt|ärztin|zahnarzt|krankenhaus|physiotherapie|médecin|dentiste|"
                        "cabinet médical|hôpital|médico|dentista|~clínica|ospedale|ambulatorio|"
                        "huisarts|tandarts|ziekenhuis|fysiotherapie",
    "Fitness": "fitnessstudio|salle de sport|gimnasio|palestra|sportschool|ginásio",
    "Events & Culture": "~kino|konzert|musée|~cine|~teatro|~museo|bioscoop|museu",
    "Accommodation": "ferienwohnung|unterkunft|übernachtung|hébergement|alojamiento|~hostal|"
                     "albergo|alloggio|overnachting|alojamento",
    "Tuition": "schulgeld|studiengebühr|frais de scolarité|~matrícula|tasse universitarie|"
               "collegegeld|schoolgeld",
    "Books & Courses": "boekhandel|livraria",
    "Hair & Beauty": "friseur|frisör|~kosmetik|coiffeur|coiffure|peluquería|parrucchiere|"
                     "barbiere|estetista|kapper|kapsalon|cabeleireiro|barbearia",
    "Childcare": "tagesmutter|garderie|guardería|asilo nido|kinderopvang",
    "Pets": "tierarzt|tierbedarf|zoohandlung|vétérinaire|animalerie|veterinario|veterinaria|"
            "dierenarts|dierenwinkel|veterinário",
    "Charity": "spende|spenden|donación|donativo|donazione|donatie|doação|caritas|croix rouge|croix-rouge|"
               "cruz roja|rotes kreuz|croce rossa|rode kruis",
    "Bank Fees": "bankkosten|kontogebühr|kartengebühr|jahresgebühr|frais de tenue de compte|"
                 "cotisation carte|~comisiones|~comissão|~spese|~commissioni",
    "Interest Charges": "intérêts débiteurs|intereses deudores|interessi passivi|debetrente|"
                        "juros devedores",
    "ATM Withdrawal": "bargeldauszahlung|barauszahlung|~auszahlung|retrait dab|cajero|"
                      "reintegro|~efectivo|~retirada|prelievo|bancomat|geldopname|"
                      "geldautomaat|pinautomaat|levantamento",
    "Income Tax": "agencia tributaria|~hacienda|aeat|irpf|agenzia delle entrate|irpef|"
                  "autoridade tributária|inkomstenbelasting|dgfip",
    "Other Taxes": "kfz steuer|kfz-steuer|kfzsteuer|grundsteuer|rundfunkbeitrag|taxe foncière|"
                   "taxe d'habitation|bollo auto|motorrijtuigenbelasting|waterschapsbelasting|"
                   "gemeentelijke belastingen",
    "Loan Repayment": "~kredit|darlehen|ratenkredit|~tilgung|échéance prêt|"
                      "remboursement prêt|préstamo|amortización|prestito|~finanziamento|lening|"
                      "aflossing|~krediet|empréstimo|~prestação",
    "Between Accounts": "~uebw|~ueberw|~übertrag|~transfert|~traspaso|~bizum|~giroconto|"
                        "~overschrijving|~trasferimento",
    "Credit Card Payment": "kreditkartenabrechnung|~kreditkarte",
    "Savings & Investments": "~sparen|sparplan|~sparkonto|wertpapier|wertpapiere|épargne|"
                             "livret a|~placement|~ahorro|~inversión|~risparmio|~investimento|"
                             "beleggen|belegging|spaarrekening|poupança",
    "Memberships": "mitgliedsbeitrag|~vereinsbeitrag|~cotisation|cuota socio|"
                   "quota associativa|contributie|lidmaatschap",
}
"""Leaf -> ``|``-separated keywords, merged into :data:`ml.lexicon.KEYWORDS`."""
